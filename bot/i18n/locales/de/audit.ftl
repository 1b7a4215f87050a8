## Der Audit-Kanal des Servers (bot/admin_actions.py, bot/discord/audit.py), in der Sprache des Servers.

audit-admin = 🛠 { $admin } { $action }
audit-admin-dashboard = 🛠 { $admin } { $action } (im Web-Dashboard)
audit-limit = hat das Limit von { $label } auf { $amount } Credits pro Zeitraum gesetzt
audit-limit-cleared = hat das Limit von { $label } entfernt
audit-period = hat den Kontingentzeitraum auf { $period } geändert
audit-grant = hat { $label } { $amount } Credits für { $key } gutgeschrieben
audit-reset = hat den Verbrauch von { $label } in diesem Zeitraum zurückgesetzt
audit-settings = hat die Einstellungen geändert: { $changes }
audit-rule-added = hat die Prompt-Regel `{ $rule }` hinzugefügt
audit-rule-removed = hat die Prompt-Regel `{ $rule }` entfernt
audit-erased = hat die Daten eines Mitglieds auf diesem Server gelöscht ({ $count ->
    [one] { $count } Auftrag
   *[other] { $count } Aufträge
})
audit-change = { $setting } → { $value }
audit-setting-default_model = Standardmodell
audit-setting-allowed_models = erlaubte Modelle
audit-setting-max_safety_tolerance = höchste Safety Tolerance
audit-setting-allowed_channels = erlaubte Kanäle
audit-setting-quota_period = Kontingentzeitraum
audit-setting-private_mode = Privatmodus
audit-setting-audit_channel_id = Audit-Kanal
audit-setting-nsfw_safety_tolerance = Safety Tolerance in altersbeschränkten Kanälen
audit-setting-language = Sprache
audit-value-bot-default = Standard des Bots
audit-value-all = alle
audit-value-none = keiner
audit-value-as-elsewhere = wie überall
audit-value-default-language = Standard

audit-job-delivered = ✅ { $member } · `{ $model }` · { $cost } · [Ergebnis]({ $link })
audit-job-delivered-nolink = ✅ { $member } · `{ $model }` · { $cost }
audit-job-failed = ❌ { $member } · `{ $model }` · { $reason } · { $cost }
audit-job-failed-link = ❌ { $member } · `{ $model }` · { $reason } · { $cost } · [Antwort]({ $link })
audit-job-reason = { $state }: { $detail }
audit-charged = { $amount } Credits berechnet
audit-not-charged = nichts berechnet
audit-rule-refused = 🚫 { $member } · Prompt durch die Regel `{ $rule }` in { $channel } abgelehnt
audit-low-balance = ⚠️ Das BFL-Guthaben des Bots ist niedrig: noch { $balance } Credits (Warnung unter { $threshold }).
audit-lost = Ich kann nicht mehr in den Audit-Kanal <#{ $channel }> von **{ $guild }** schreiben (Discord antwortete { $status }). { $count ->
    [one] { $count } Audit-Zeile wartet und wird gepostet
   *[other] { $count } Audit-Zeilen warten und werden gepostet
}, sobald ich dort wieder schreiben kann; gib mir dort die Berechtigung „Nachrichten senden“ oder wähle mit `/admin settings audit_channel:` einen anderen Kanal.
