# fluxbot: Nachrichten an Mitglieder, Deutsch. Schlüssel und Regeln: en-US/messages.ftl.

credits-unlimited = unbegrenzt
credits-text = { $amount } Credits

reply-apology = Beim Bot ist etwas schiefgelaufen (Referenz `{ $ref }`). Es wurde nichts abgebucht; bitte versuch es noch einmal.
reply-missing-permission = Dafür brauchst du die Berechtigung { $permissions }.
reply-server-only = Dieser Befehl funktioniert nur auf einem Server.
reply-not-here = Diesen Befehl kannst du hier nicht verwenden.
reply-bad-value = `{ $value }` ist kein gültiger Wert für diese Option.
reply-guild-install-only = Die Befehle dieses Bots funktionieren nur auf Servern, die den Bot hinzugefügt haben. Es wurde nichts getan.
reply-admin-only = Das können nur Mitglieder mit der Berechtigung „Server verwalten“.

progress-queued = ⏳ In der Warteschlange
progress-queued-at = ⏳ In der Warteschlange (Platz { $position })
progress-sending = 📨 Wird an den Anbieter gesendet…
progress-generating = 🎨 Wird erzeugt { $bar } { $elapsed } s
progress-generating-estimate = 🎨 Wird erzeugt { $bar } { $elapsed } s von ~{ $typical } s
progress-generating-slow = 🎨 Wird erzeugt { $bar } { $elapsed } s von ~{ $typical } s, dauert länger als üblich
progress-finishing = 📥 Wird fertiggestellt…

state-queued = wartet
state-submitting = wird gesendet
state-running = wird erzeugt
state-fetching = wird fertiggestellt
state-delivering = wird gepostet
state-delivered = fertig
state-failed = fehlgeschlagen
state-moderated = blockiert
state-timed_out = Zeit abgelaufen
state-cancelled = abgebrochen
state-undeliverable = nicht gepostet

result-model = Modell
result-seed = Seed
result-size = Größe
result-cost = Kosten
result-time = Zeit
result-requested-by = Angefordert von
result-note = Hinweis
result-seconds = { $seconds } s
result-ready-here = { $member } dein Bild ist fertig.
result-ready-dm = Dein Bild ist fertig. Ich konnte es nicht in { $channel } posten, also kommt es hier.
result-ready-dm-nowhere = Dein Bild ist fertig. Ich konnte es nicht posten, also kommt es hier.

details-title = Auftrag { $job }
details-state = Status
details-provider = Anbieter
details-random = zufällig
details-default = Standard
details-estimate = ~{ $amount } Credits (Schätzung)
details-options = Optionen
details-asked = angefragt { $when }
details-took = dauerte { $seconds } s
details-made-from = Erstellt aus
details-made-from-job = Auftrag `{ $job }`
details-provider-job = Auftrag beim Anbieter
details-error = Fehler
prompt-deleted = *(Prompt gelöscht)*

option-aspect_ratio = Seitenverhältnis
option-image_strength = Bildstärke
option-output_format = Format
option-safety_tolerance = Sicherheitstoleranz
option-finetune_id = Finetune-ID
option-finetune_strength = Finetune-Stärke
option-image_count = Referenzbilder

jobs-title = Deine Aufträge
jobs-none = { $member }, du hast keine wartenden oder laufenden Aufträge.
jobs-position = { $state } (Platz { $position })
jobs-footer = Wartende Aufträge lassen sich kostenlos abbrechen; laufende werden fertig.

failure-failed = Das Bild konnte nicht erzeugt werden
failure-moderated = Vom Sicherheitsfilter des Anbieters blockiert
failure-timed_out = Zeit abgelaufen
failure-cancelled = Abgebrochen
failure-undeliverable = Konnte nicht gepostet werden
failure-other = Fehlgeschlagen
failure-charged = Dir wurden { $amount } Credits berechnet: Der Anbieter hat diesen Auftrag abgerechnet.
failure-not-charged = Es wurde nichts abgebucht.
failure-reason-submit_unknown = Der Anbieter hat den Auftrag nicht bestätigt. Er wurde nicht erneut gesendet, also kann dir nichts doppelt berechnet werden.
failure-reason-timeout = Der Anbieter hat zu lange gebraucht, und der Auftrag wurde aufgegeben.
failure-reason-not_found = Der Anbieter hat den Auftrag verloren.
failure-reason-download = Das fertige Bild konnte nicht vom Anbieter heruntergeladen werden.
failure-reason-not_an_image = Der Anbieter hat etwas zurückgeschickt, das kein Bild ist, also wurde nichts gepostet.
failure-reason-unreachable = Der Anbieter war nicht erreichbar, also wurde der Auftrag nie gesendet.
failure-reason-storage = Der Bot konnte das fertige Bild nicht speichern (sein Datenträger ist voll oder nicht beschreibbar).
failure-reason-inputs_lost = Das Referenzbild ging verloren, bevor der Auftrag gesendet wurde. Es wurde nichts abgebucht; führe den Befehl mit dem Bild noch einmal aus.
failure-reason-internal = Im Bot ist etwas schiefgelaufen.

quota-not-enabled = Bilderzeugung ist für dich auf diesem Server nicht freigeschaltet (dein Limit ist 0 Credits). Bitte eine Server-Admin um ein Limit. Es wurde nichts abgebucht.
quota-guild-used-up = Das Bildbudget dieses Servers ist vorerst aufgebraucht: Dieser Auftrag braucht etwa { $estimate } Credits, und der Server hat noch { $left }. Es wird { $when } zurückgesetzt. Es wurde nichts abgebucht.
quota-member-short = Kontingent reicht nicht: Dieser Auftrag braucht etwa { $estimate } Credits, und du hast in diesem Zeitraum noch { $left } von { $limit } ({ $used } verbraucht). Dein Kontingent wird { $when } zurückgesetzt. Es wurde nichts abgebucht.
quota-member-short-held = Kontingent reicht nicht: Dieser Auftrag braucht etwa { $estimate } Credits, und du hast in diesem Zeitraum noch { $left } von { $limit } ({ $used } verbraucht, davon { $held } von laufenden Aufträgen reserviert). Dein Kontingent wird { $when } zurückgesetzt. Es wurde nichts abgebucht.
queue-full = { $waiting ->
    [one] Du hast schon { $waiting } Auftrag wartend oder laufend. Warte, bis er fertig ist (siehe `/jobs`), und versuch es dann noch einmal.
   *[other] Du hast schon { $waiting } Aufträge wartend oder laufend. Warte, bis einer fertig ist (siehe `/jobs`), und versuch es dann noch einmal.
}

policy-channel = Bildbefehle können auf diesem Server in diesem Kanal nicht verwendet werden. Bitte nutze { $channels }.
policy-model = `{ $model }` ist auf diesem Server nicht erlaubt. Erlaubte Modelle: { $allowed }.
policy-none = keine

plan-provider-missing = Der Anbieter { $provider } ist bei diesem Bot nicht eingerichtet.
plan-not-offered = `{ $model }` wird von { $provider } nicht angeboten.
plan-unavailable = `{ $model }` ist bei diesem Bot nicht verfügbar (sein Anbieter ist nicht eingerichtet).
plan-empty-prompt = Der Prompt ist leer; beschreibe das Bild, das du möchtest.
plan-prompt-too-long = Der Prompt ist { $length } Zeichen lang; erlaubt sind { $limit }.
plan-wrong-command-generate = `{ $model }` kann mit diesem Befehl nicht verwendet werden. Nutze dafür `/imagine`.
plan-wrong-command-edit = `{ $model }` kann mit diesem Befehl nicht verwendet werden. Nutze dafür `/edit` (oder `/imagine` mit einem Bild).
plan-wrong-command-finetune = `{ $model }` kann mit diesem Befehl nicht verwendet werden. Nutze dafür `/finetune`.
plan-safety-cap = `safety_tolerance` darf auf diesem Server höchstens { $cap } sein.
plan-invalid-option = Ungültige Option: { $detail }

settings-title = Servereinstellungen für Bildbefehle
settings-default-model = Standardmodell
settings-allowed-models = Erlaubte Modelle
settings-all = alle
settings-max-safety = Max. Sicherheitstoleranz
settings-allowed-channels = Erlaubte Kanäle
settings-quota-period = Kontingentzeitraum
settings-language = Sprache
settings-bot-default = { $value } (Standard des Bots)
settings-saved = Gespeichert.
settings-current = Aktuelle Einstellungen (gib Optionen an, um sie zu ändern):
settings-unknown-language = `{ $language }` ist keine Sprache dieses Bots. Wähle eine von: { $languages }.

usage-used = Verbraucht
usage-held = Reserviert
usage-limit = Limit
usage-budget = Budget
usage-remaining = Übrig
usage-limit-granted = { $limit } (+{ $granted } gutgeschrieben)

fit-reencoded = Als { $format } neu gespeichert, weil das Original ({ $original }) größer ist als das Limit dieses Kanals ({ $limit }).
fit-downscaled = Von { $before } auf { $after } verkleinert und als { $format } gespeichert, weil das Original ({ $original }) größer ist als das Limit dieses Kanals ({ $limit }).
fit-format-png = optimiertes PNG
fit-format-lossy = { $format } mit Qualität { $quality }

button-reroll = Neu würfeln
button-reroll-own-references = Neu würfeln (Bilder des Anfragenden)
button-edit = Bearbeiten
button-vary = Variieren
button-details = Details
button-delete = Löschen
button-cancel-numbered = Abbrechen { $number }
button-unknown = Diesen Knopf kennt der Bot nicht (er stammt vielleicht aus einer älteren Version). Es wurde nichts getan.
button-unknown-form = Dieses Formular kennt der Bot nicht (es stammt vielleicht aus einer älteren Version). Es wurde nichts getan.
button-unknown-job = Diesen Auftrag kennt der Bot nicht (der Knopf stammt vielleicht von einem anderen Bot oder ist gefälscht).
button-purged-rerolled = Prompt und Bilder dieses Auftrags werden nicht mehr aufbewahrt (sie werden nach { $days } Tagen gelöscht oder wenn die Daten eines Mitglieds gelöscht werden), daher kann er nicht neu gewürfelt werden. Führe den Befehl noch einmal aus.
button-purged-varied = Prompt und Bilder dieses Auftrags werden nicht mehr aufbewahrt (sie werden nach { $days } Tagen gelöscht oder wenn die Daten eines Mitglieds gelöscht werden), daher kann er nicht variiert werden. Führe den Befehl noch einmal aus.
button-image-gone = Das Bild dieses Auftrags ist nicht mehr verfügbar und kann daher nicht als Eingabe dienen.
button-model-missing-edit = Zum Bearbeiten braucht es `{ $model }`, das dieser Bot nicht anbietet.
button-model-missing-vary = Zum Variieren braucht es `{ $model }`, das dieser Bot nicht anbietet.
button-reroll-not-yours = Dieses Bild entstand aus den eigenen Referenzbildern von { $member }, daher kann nur diese Person es neu würfeln. „Variieren“ und „Bearbeiten“ beginnen stattdessen mit dem geposteten Bild. Es wurde nichts abgebucht.
button-delete-not-yours = Nur wer das Bild angefordert hat oder wer „Nachrichten verwalten“ darf, kann es löschen.
button-delete-forbidden = Der Bot darf diese Nachricht hier nicht löschen.
button-deleted = Gelöscht.
edit-form-title = Dieses Bild bearbeiten
edit-form-label = Was soll sich ändern?
edit-form-placeholder = z. B. mach es Nacht, Schnee auf die Dächer
edit-form-not-yours = Dieses Formular gehört einem anderen Mitglied; drück auf „Bearbeiten“ für dein eigenes.
edit-form-empty = Das Formular kam ohne Text zurück; drück den Knopf noch einmal.
cancel-not-yours = Nur wer den Auftrag angefordert hat, kann ihn abbrechen.
cancel-started = Dieser Auftrag läuft schon und wird fertig; nur wartende Aufträge lassen sich abbrechen.
cancel-over = Dieser Auftrag ist schon beendet ({ $state }).
cancel-just-started = Dieser Auftrag hat gerade begonnen und kann nicht mehr abgebrochen werden.
cancel-done = **{ $prompt }** abgebrochen. Es wurde nichts abgebucht.

quota-title = Kontingent von { $member }
quota-resets = Zurückgesetzt
quota-limit-set-by = Limit festgelegt durch
quota-source-member = Mitglied
quota-source-role = Rolle
quota-source-server-default = Server-Standard
quota-source-bot-default = Bot-Standard
quota-source-not-enforced = nicht angewendet
quota-server-budget = Server-Budget
quota-server-budget-left = { $left } von { $total } Credits übrig
quota-last-charges = Letzte Abbuchungen
quota-footer = Zeitraum { $period } (UTC) · 1 Credit = 0,01 $ beim Anbieter

history-title = Bildverlauf von { $member }
history-none = Noch keine Bilder.
history-page = Seite { $page } von { $pages }
history-newer = ◀ Neuer
history-older = Älter ▶
history-image = Bild
history-charged = abgebucht
history-charged-by-provider = { $amount } Credits (vom Anbieter berechnet)
history-held = ~{ $amount } Credits reserviert
history-nothing-charged = nichts abgebucht

period-day = Tag
period-week = Woche
period-month = Monat

admin-amount-invalid = Der Betrag „{ $amount }“ muss eine Zahl von Credits zwischen 0 und 1.000.000.000 sein, mit höchstens 6 Nachkommastellen.
admin-amount-invalid-or-unlimited = Der Betrag „{ $amount }“ muss eine Zahl von Credits zwischen 0 und 1.000.000.000 sein, mit höchstens 6 Nachkommastellen, oder `unlimited`.
admin-pick-member = Wähle das `member` für den Bereich Mitglied.
admin-pick-role = Wähle die `role` für den Bereich Rolle.
admin-target-default = jedes Mitglied (Server-Standard)
admin-target-guild = das Server-Budget
admin-target-everyone-with = alle mit { $role }
admin-target-members-with = Mitglieder mit { $role }
admin-target-everything = das Server-Budget und jedes Mitglied
admin-channels-how = Nenne die Kanäle als #Erwähnungen (oder IDs), getrennt durch Leerzeichen oder Kommas; `all` hebt die Beschränkung auf.
admin-channel-unknown = { $channel } ist kein Kanal dieses Servers.
admin-models-unknown = Unbekanntes Modell { $models }. Bekannt: { $known }.
admin-models-none = Kein Modell angegeben. Bekannt: { $known }.
admin-limit-nothing = Gib einen `amount` (oder `clear`), einen `period` oder beides an.
admin-limit-removed = Limit für { $target } entfernt.
admin-limit-none = { $target } hatte kein eigenes Limit.
admin-limit-set = Limit für { $target }: **{ $amount }** Credits pro Zeitraum.
admin-period-set = Der Kontingentzeitraum dieses Servers ist jetzt **{ $period }** (UTC); das nächste Zurücksetzen ist { $when }. Im neuen Zeitraum zählt der Verbrauch neu.
admin-grant-positive = Schreibe eine positive Zahl von Credits gut.
admin-granted = **{ $amount }** Credits für { $target } in diesem Zeitraum ({ $period }) gutgeschrieben, bis zum Zurücksetzen { $when }.
admin-granted-twice = Dieser Befehl hat schon **{ $amount }** Credits für { $target } in diesem Zeitraum ({ $period }) gutgeschrieben; er kam doppelt an und wurde nicht noch einmal gutgeschrieben.
admin-reset-twice = Dieser Befehl hat den Verbrauch dieses Zeitraums für { $target } schon zurückgesetzt; er kam doppelt an, und es wurde nichts weiter zurückgesetzt.
admin-reset-guild = Verbrauch dieses Zeitraums für { $target } zurückgesetzt. Laufende Aufträge behalten ihre Reservierungen.
admin-reset-done = Verbrauch dieses Zeitraums für { $target } zurückgesetzt (mit Verbrauch: { $count }). Laufende Aufträge behalten ihre Reservierungen.
admin-default-model-one = Gib genau eine Modell-ID als Standardmodell an.
admin-default-model-not-allowed = Das Standardmodell `{ $model }` muss eines der erlaubten Modelle sein.
admin-safety-range = `max_safety_tolerance` liegt zwischen 0 und 6.
admin-safety-cap = Die Grenze des Bots ist { $cap }; ein Server kann sie nur senken.

usage-heading-guild = Bild-Credits in { $server } · { $period }
usage-heading-of = Bild-Credits von { $name } · { $period }
usage-members = Mitglieder mit Verbrauch
usage-top = Aktivste Mitglieder
usage-top-line = { $rank }. { $name } — { $used } verbraucht
usage-top-line-held = { $rank }. { $name } — { $used } verbraucht, { $held } reserviert
chart-empty = In diesem Zeitraum kein Verbrauch.
chart-used = verbraucht
chart-held = von laufenden Aufträgen reserviert (Credits)

## The database did not answer (issue 15)

reply-store-unavailable = Der Bot erreicht gerade seine Datenbank nicht, daher wurde nichts gespeichert oder abgebucht. Bitte versuch es gleich noch einmal.

## Private results (issue 18)

result-ready-private = Dein privates Bild ist fertig (nur du siehst es hier).
settings-private = Private Ergebnisse
settings-private-allow = erlaubt (jedes Mitglied wählt)
settings-private-forbid = verboten (Ergebnisse werden immer im Kanal gepostet)
settings-private-force = erzwungen (Ergebnisse sieht nur, wer sie angefordert hat)
settings-private-invalid = `private` ist eines von allow, forbid, force.

## /dashboard (issue 20)

dashboard-not-set-up = Das Web-Dashboard ist bei diesem Bot nicht eingerichtet (der Betreiber hat WEB_PUBLIC_URL nicht gesetzt).
dashboard-link = Dein Anmeldelink für das Web-Dashboard: { $url }
    Er funktioniert einmal, 10 Minuten lang und nur für dich: gib ihn nicht weiter.

## Reference images (bot/images.py, bot/discord/options.py)

input-not-downloaded = `{ $option }` konnte nicht von Discord geladen werden; bitte hänge die Datei erneut an.
input-too-large = `{ $option }` ist { $size } MB groß; Referenzbilder dürfen höchstens 20 MB haben.
input-not-an-image = `{ $option }` ist eine { $kind }-Datei, kein Bild; hänge { $accepted } an.
input-empty = `{ $option }` ist leer.
input-wrong-format = `{ $option }` ist eine { $kind }-Datei; nutze { $accepted }.
input-animated = `{ $option }` ist animiert; nutze ein unbewegtes Bild ({ $accepted }).
input-too-many-pixels = `{ $option }` hat viel zu viele Pixel für ein Referenzbild.
input-heif-unreadable = `{ $option }` ist ein HEIC/HEIF-Foto, das dieser Bot nicht lesen kann; speichere es als JPEG oder PNG.
input-unreadable = `{ $option }` ist kein lesbares Bild ({ $accepted }).

## Flags in the prompt (bot/flags.py)

flags-after = `{ $token }` steht nach den Flags; schreib den ganzen Prompt vor das erste `--`-Flag.
flags-unknown = Unbekanntes Flag `--{ $flag }`. Bekannte Flags: { $known }.
flags-needs-value = `--{ $flag }` braucht einen Wert, z. B. { $example }.
flags-invalid = `--{ $flag } { $value }` ist ungültig; schreib es wie { $example }.
plan-count-imagine-only = `count` (mehrere Bilder auf einmal) geht nur mit `/imagine`.

## What a model takes (bot/providers/catalog.py)

catalog-unknown-model = Unbekanntes Modell `{ $model }`. Verfügbar: { $known }.
catalog-unsupported-options = { $options } kann nicht mit `{ $model }` verwendet werden.
catalog-strength-needs-image = `image_strength` braucht ein `image`, um mit `{ $model }` zu remixen.
catalog-too-many-images = `{ $model }` nimmt höchstens { $count } Referenzbilder; du hast { $attached } angehängt. Es wurde nichts abgebucht.
catalog-no-image = `{ $model }` nimmt kein Referenzbild.
catalog-one-image = `{ $model }` nimmt ein Referenzbild; für bis zu vier nutze `/edit`.
catalog-ratio-form = `aspect_ratio` „{ $ratio }“ muss wie 16:9 aussehen.
catalog-sized-by-ratio = `{ $model }` wird über `aspect_ratio` (21:9 bis 9:21) bemessen; gib das an oder `width` und `height` zusammen.
catalog-ratio-or-sides = Gib entweder `aspect_ratio` oder `width` und `height` an, nicht alle drei.
catalog-fixed-sizes = `{ $model }` gibt es nur in festen Größen ({ $sizes }); nutze stattdessen `aspect_ratio`.
catalog-ratio-impossible = `aspect_ratio` { $ratio } lässt sich nicht aus Seiten von { $low }–{ $high } Pixeln bilden.
validation-between = `{ $option }` muss zwischen { $low } und { $high } liegen.
validation-between-step = `{ $option }` muss zwischen { $low } und { $high } liegen und ein Vielfaches von { $step } sein.
validation-empty = `{ $option }` darf nicht leer sein.
validation-too-long = `{ $option }` ist zu lang (höchstens { $limit } Zeichen).
validation-one-of = `{ $option }` muss eines von { $expected } sein.
validation-required = `{ $option }` ist erforderlich.
validation-number = `{ $option }` muss eine Zahl sein.
validation-number-between = `{ $option }` muss eine Zahl zwischen { $low } und { $high } sein.
validation-other = `{ $option }`: { $detail }.
validation-other-between = `{ $option }`: { $detail } (zwischen { $low } und { $high }).
validation-lines = { $lines }

## Private results, restarts, /privacy, /settings

private-forbidden-here = Dieser Server erlaubt keine privaten Ergebnisse; lass `private` aus (oder nutze den Befehl woanders). Es wurde nichts abgebucht.
reply-restarting = Der Bot startet neu – versuch es gleich noch einmal.
privacy-export-too-large = Deine Daten hier sind selbst komprimiert { $size } MB groß, mehr als Discord den Bot senden lässt ({ $limit } MB). Bitte die Server-Admins um eine Kopie. Es wurde nichts gesendet.
privacy-erased = Daten von { $member } auf diesem Server gelöscht: Prompts und Bilder von { $jobs } Auftrag/Aufträgen entfernt ({ $size } MB). Die { $entries } Journaleinträge bleiben unter einem Pseudonym, die Verbrauchssummen des Servers ändern sich also nicht.
privacy-exported = Deine Aufträge, Prompts und Journaleinträge auf diesem Server (nur du siehst das).
preset-title = Deine Einstellungen für Bildbefehle hier
preset-saved = Gespeichert. Was du in einem Befehl angibst, gilt weiterhin vorrangig; die Regeln des Servers gelten vor beidem.
preset-shown = Deine Einstellungen (gib Optionen an, um sie zu ändern, `reset:` zum Löschen):
preset-not-set = nicht gesetzt
preset-format = Format
preset-suffix = Suffix
preset-on = an
preset-off = aus
preset-unknown-model = `{ $model }` ist kein Modell, das dieser Bot für /imagine oder /edit anbietet. Wähle eines aus der Liste.
preset-bad-ratio = `{ $ratio }` ist kein Seitenverhältnis von 21:9 bis 9:21; schreib es wie 16:9.
preset-suffix-flag = Das Suffix darf kein `--{ $flag }` enthalten; gib es im Befehl selbst an (oder in seiner eigenen Einstellung).
preset-note-model = (auf diesem Server nicht erlaubt oder nicht angeboten: der Standard des Servers gilt)
preset-note-forbid = (dieser Server verbietet private Ergebnisse)
preset-note-force = (dieser Server zeigt jedes Ergebnis privat)

## Why a job ended: provider errors the bot words itself

failure-reason-credit = Das Konto des Bots beim Anbieter hat kein Guthaben mehr; bitte sag den Server-Admins Bescheid.
failure-reason-auth = Der Anbieter hat den Schlüssel des Bots abgelehnt; bitte sag dem Betreiber des Bots Bescheid.
failure-reason-server = Beim Anbieter gab es ein Problem, das Bild wurde nicht erzeugt.
failure-reason-network = Der Anbieter war nicht erreichbar oder hat nicht rechtzeitig geantwortet.
failure-reason-error = Der Anbieter hat mit einem Fehler geantwortet.
failure-reason-no_provider = Der Anbieter dieses Auftrags ist beim Bot nicht mehr eingerichtet.

## Models and their limits (FLUX.2, DISABLED_MODELS)

plan-model-disabled = `{ $model }` ist bei diesem Bot abgeschaltet. Wähle ein anderes Modell; `/models` listet sie.
catalog-unsupported-options-on = { $options } kann bei { $provider } nicht mit `{ $model }` verwendet werden.
catalog-too-many-images-on = `{ $model }` nimmt bei { $provider } höchstens { $count } Referenzbilder; du hast { $attached } angehängt. Es wurde nichts abgebucht.
catalog-count-on = { $count } bei { $provider }
catalog-too-many-images-on-elsewhere = `{ $model }` nimmt bei { $provider } höchstens { $count } Referenzbilder ({ $elsewhere }); du hast { $attached } angehängt. Es wurde nichts abgebucht.
validation-rule = { $detail }.
validation-pixels = `width` × `height` ist { $size }; erlaubt sind höchstens { $limit } MP (2048×2048).
validation-multiple = `{ $option }` muss ein Vielfaches von { $step } sein.
validation-multiple-between = `{ $option }` muss ein Vielfaches von { $step } sein (zwischen { $low } und { $high }).
validation-ratio-form = `{ $option }` muss wie 16:9 aussehen.
validation-ratio-range = `{ $option }` muss zwischen 21:9 und 9:21 liegen.

## /help (issue 18)

help-title = fluxbot-Hilfe
help-intro = Erzeuge und bearbeite Bilder mit FLUX. Fang mit `/imagine prompt:a lighthouse at dusk --ar 16:9` an. Wähle unten eine Seite für die Optionen eines Befehls; `/models` listet die Modelle und ihre Preise.
help-overview = Überblick
help-commands = Befehle
help-menus = Rechtsklick auf eine Nachricht → Apps
help-flags = Prompt-Flags
help-flags-intro = Am Ende des Prompts, wie bei Midjourney: `a castle --ar 16:9 --seed 42`. Eine Slash-Option gilt vor einem Flag; ein unbekanntes Flag wird mit der richtigen Schreibweise abgelehnt.
help-buttons = Knöpfe unter einem Bild
help-buttons-intro = Sie funktionieren auch nach einem Neustart des Bots.
help-example = Beispiel
help-required = erforderlich
help-no-options = Keine Optionen.
help-sets = setzt `{ $option }`
help-unknown = Hier gibt es keinen Befehl `/{ $name }`. `/help` listet sie.
help-choices = eines von: { $choices }
help-range = { $low } bis { $high }
help-length = bis zu { $high } Zeichen
help-type-attachment = Anhang
help-type-boolean = Ja/Nein
help-type-member = Mitglied
help-type-role = Rolle
help-type-channel = Kanal
button-cancel = Abbrechen
button-reroll-summary = dieselben Einstellungen mit neuem Seed (mit Referenzbildern: nur für das Mitglied, das sie angehängt hat)
button-edit-summary = ein Formular fragt, was sich ändern soll; das Bild wird mit FLUX Kontext bearbeitet
button-vary-summary = eine Variation des Bildes (FLUX1.1 [pro] Ultra mit ihm als Bild-Prompt)
button-details-summary = alle Einstellungen des Auftrags, privat
button-delete-summary = entfernt das Bild (wer es angefordert hat oder Mitglieder mit „Nachrichten verwalten“)
button-cancel-summary = in `/jobs`: bricht einen wartenden Auftrag ab; es wird nichts abgebucht

## /models (issue 18)

models-title = Bildmodelle
models-intro = Die Modelle, die dieser Bot hier anbietet, was jedes nimmt und was es kostet (1 Credit = 0,01 $). Wähle eines mit `model:` oder `--model`; `/help` erklärt die Optionen.
models-none = Hier werden keine Modelle angeboten: Beim Bot ist kein Anbieter eingerichtet.
models-label = Modelle
models-commands = Befehle
models-takes = Nimmt
models-price = Preis
models-served = Bereitgestellt von
models-default = Standard des Servers
models-not-allowed = auf diesem Server nicht erlaubt
models-mock = der Test-Anbieter: ein lokales Bild, berechnet wie beim echten Modell

## What a model takes and costs (/models, bot/providers/catalog.py)

takes-sides = { $low }–{ $high } px, Vielfache von { $step }
takes-sides-pixels = { $low }–{ $high } px, Vielfache von { $step }, höchstens { $mp } MP
takes-width-height = Breite × Höhe ({ $sides }) oder ein Seitenverhältnis
takes-references = bis zu { $count } Referenzbilder
takes-reference = ein Referenzbild
takes-aspect_ratio = Seitenverhältnis 21:9 bis 9:21
takes-size = Größen { $sizes } (aus einem Seitenverhältnis)
takes-image_prompt = einen Bild-Prompt
takes-raw = raw (roh)
takes-seed = Seed
takes-prompt_upsampling = Prompt-Anreicherung
takes-disable_pup = Prompt-Anreicherung (an, außer abgeschaltet)
takes-output_format = Format jpeg oder png
price-per-mp = { $first } Credits für das erste Megapixel, { $extra } für jedes weitere Megapixel von Ausgabe oder Referenz
price-per-image = { $amount } Credits pro Bild
price-estimate = nicht veröffentlicht: etwa { $amount } Credits reserviert, dann was der Anbieter meldet
price-unpublished = nicht veröffentlicht: berechnet wird, was der Anbieter meldet

## /settings (field names)

preset-aspect-ratio = Seitenverhältnis

## Fill and Expand (issue 18)

tools-mask-size = Die Maske ist { $mask }, das Bild aber { $image }; sie müssen gleich groß sein. Es wurde nichts abgebucht.
tools-mask-black = Die Maske ist ganz schwarz, also würde nichts neu gemalt. Male den zu ändernden Bereich weiß. Es wurde nichts abgebucht.
tools-mask-white = Die Maske ist ganz weiß, also würde das ganze Bild neu gemalt: Nutze `/imagine` für ein neues Bild oder male den zu behaltenden Bereich schwarz. Es wurde nichts abgebucht.
tools-no-transparency = Hänge eine `mask` an (weiß, wo sich das Bild ändern soll, schwarz, wo es bleibt) oder ein Bild, dessen zu ändernder Bereich transparent ist (PNG oder WebP): Dieses hat keine Transparenz. Es wurde nichts abgebucht.
tools-all-transparent = Das Bild ist überall transparent, also bliebe nichts davon: Nutze `/imagine` für ein neues Bild. Es wurde nichts abgebucht.
tools-too-far = So weit erweitert, überschritte das Bild { $limit } selbst aus einer auf { $side } Pixel verkleinerten Vorlage; verlange weniger Pixel. Es wurde nichts abgebucht.
tools-zoom-or-sides = Gib entweder `--zoom` oder die Seiten in Pixeln an (`top`, `bottom`, `left`, `right`), nicht beides.
tools-how-far = Sag, wie weit erweitert werden soll: `top`, `bottom`, `left` oder `right` in Pixeln, oder `--zoom 2`.
tools-zoom-needs-image = `--zoom` zoomt aus einem vorhandenen Bild heraus: Nutze `/expand` (oder die Herauszoomen-Knöpfe unter einem Ergebnis).
tools-mask-not-here = `mask` kann nicht mit `{ $model }` verwendet werden; nutze `/fill`.
tools-needs-image = `{ $model }` braucht ein `image`.
tools-one-image = `{ $model }` nimmt ein Bild.
plan-wrong-command-fill = `{ $model }` kann mit diesem Befehl nicht verwendet werden. Nutze dafür `/fill`.
plan-wrong-command-expand = `{ $model }` kann mit diesem Befehl nicht verwendet werden. Nutze dafür `/expand` (oder die Herauszoomen-Knöpfe unter einem Ergebnis).
button-model-missing-expand = Zoomen und Schwenken brauchen `{ $model }`, das dieser Bot nicht anbietet.
button-purged-expanded = Prompt und Bilder dieses Auftrags werden nicht mehr aufbewahrt (sie werden nach { $days } Tagen gelöscht oder wenn die Daten eines Mitglieds gelöscht werden), daher kann er nicht erweitert werden. Führe den Befehl noch einmal aus.
button-zoom15 = Herauszoomen 1,5×
button-zoom2 = Herauszoomen 2×
button-panleft = ⬅
button-panright = ➡
button-panup = ⬆
button-pandown = ⬇
button-zoom15-summary = Erweitern (BFL): das Bild 1,5-mal so breit und hoch, gleich auf allen Seiten, mit seinem Prompt
button-zoom2-summary = Erweitern (BFL): das Bild doppelt so breit und hoch, gleich auf allen Seiten, mit seinem Prompt
button-panleft-summary = Erweitern (BFL): die halbe Bildbreite links dazu
button-panright-summary = Erweitern (BFL): die halbe Bildbreite rechts dazu
button-panup-summary = Erweitern (BFL): die halbe Bildhöhe oben dazu
button-pandown-summary = Erweitern (BFL): die halbe Bildhöhe unten dazu

# Stapel (issue 18, Punkt 4): die eine Nachricht eines Stapels
batch-images = Bilder
batch-line-arrived = **{ $place }** ✅ { $cost }
batch-line-arrived-seed = **{ $place }** ✅ Seed `{ $seed }` · { $cost }
batch-line-charged = { $amount } Credits berechnet
batch-line-not-charged = nichts berechnet
batch-line-coming = **{ $place }** ⏳ unterwegs
batch-ready-here = { $member }, deine Bilder sind fertig.
batch-ready-private = Deine privaten Bilder (nur du siehst sie hier):
batch-ready-dm-nowhere = Deine Bilder. Ich konnte sie nicht im Kanal posten, deshalb kommen sie hier.
button-batch = Alle neu würfeln
button-batch-summary = unter einem Stapel: der ganze Stapel noch einmal (gleich viele Bilder, gleiche Einstellungen, neue Seeds)
button-delete-all = Alle löschen
button-numbered = { $label } { $number }
# Remix (issue 18, Punkt 7)
button-remix = Abwandeln
button-remix-summary = ein Formular mit dem Prompt schon ausgefüllt; das neue Bild behält alle anderen Einstellungen (Modell, Seed, Optionen), und Flags im neuen Prompt haben Vorrang
button-purged-remixed = Prompt und Bilder dieses Auftrags werden nicht mehr aufbewahrt (sie werden nach { $days } Tagen gelöscht oder wenn die Daten eines Mitglieds gelöscht werden), daher kann er nicht abgewandelt werden. Führe den Befehl erneut aus.
remix-form-title = Abwandeln: Prompt ändern
remix-form-label = Prompt
remix-form-not-yours = Dieses Formular gehört einem anderen Mitglied; drücke Abwandeln, um dein eigenes zu bekommen.
# Kontextmenüs für Nachrichten (issue 18, Punkt 8)
reference-edit-title = Mit FLUX bearbeiten
reference-imagine-title = Als Vorlage verwenden
reference-edit-label = Was soll sich ändern?
reference-imagine-label = Was soll daraus entstehen?
reference-edit-placeholder = z. B. mach es Nacht, Schnee auf die Dächer
reference-imagine-placeholder = z. B. ein Aquarell dieser Szene
reference-no-image = An dieser Nachricht hängt kein Bild, es gibt also nichts zu bearbeiten oder zu verwenden. Klicke mit der rechten Maustaste auf eine Nachricht mit einem Bild (einem Anhang). Es wurde nichts berechnet.
reference-gone = Diese Nachricht (oder ihr Bild) gibt es nicht mehr, sie kann also nicht verwendet werden. Es wurde nichts berechnet.
reference-form-not-yours = Dieses Formular gehört einem anderen Mitglied; klicke mit der rechten Maustaste auf die Nachricht, um dein eigenes zu bekommen.
## Refusals of the operators' gates (/owner pause and blocks, /admin rules)
refusal-paused = Der Bot wurde von seinem Besitzer pausiert und nimmt vorerst keine neuen Aufträge an. Es wurde nichts berechnet.
refusal-paused-reason = Der Bot wurde von seinem Besitzer pausiert und nimmt vorerst keine neuen Aufträge an: { $reason }. Es wurde nichts berechnet.
refusal-blocked-member = Du bist für die Bildbefehle dieses Bots gesperrt. Es wurde nichts berechnet.
refusal-blocked-guild = Dieser Server ist für die Bildbefehle dieses Bots gesperrt. Es wurde nichts berechnet.
refusal-rule = Dein Prompt wurde abgelehnt: Er entspricht der Regel `{ $rule }` dieses Servers. Es wurde nichts berechnet.

## /admin settings audit_channel: and nsfw_safety_tolerance:
settings-audit-not-channel = Gib den Audit-Kanal als #Erwähnung (oder seine ID) an, oder `clear`.
settings-audit-not-text = <#{ $channel }> ist kein Textkanal dieses Servers.
settings-audit-cannot-post = Ich kann in <#{ $channel }> nicht schreiben: Gib mir dort zuerst „Kanal ansehen“ und „Nachrichten senden“.
settings-nsfw-above-cap = Die Obergrenze des Bots ist { $cap }; auch Kanäle mit Altersbeschränkung dürfen sie nicht überschreiten.
settings-audit-field = Audit-Kanal
settings-audit-lost = { $channel } (ich kann dort seit { $since } nicht schreiben; { $count ->
        [one] { $count } Zeile wartet
       *[other] { $count } Zeilen warten
    })
settings-nsfw-field = Sicherheitstoleranz in Kanälen mit Altersbeschränkung

## /owner (cogs/owner.py)
owner-only = Nur die Besitzer des Bots können `/owner` verwenden.
owner-paused = Pausiert: Neue Aufträge werden abgelehnt; laufende Aufträge werden beendet. `/owner resume` hebt die Pause auf.
owner-paused-reason = Pausiert: Neue Aufträge werden mit „{ $reason }“ abgelehnt; laufende Aufträge werden beendet. `/owner resume` hebt die Pause auf.
owner-resumed = Fortgesetzt: Neue Aufträge werden wieder angenommen.
owner-not-paused = Der Bot war nicht pausiert.
owner-bad-id = Gib { $kind ->
        [member] das Mitglied
       *[guild] den Server
    } als ID (15 bis 21 Ziffern) oder Erwähnung an.
owner-blocked = { $kind ->
        [member] Mitglied
       *[guild] Server
    } `{ $id }` gesperrt: Neue Aufträge werden abgelehnt. Laufende Aufträge werden beendet.
owner-block-updated = { $kind ->
        [member] Mitglied
       *[guild] Server
    } `{ $id }` war bereits gesperrt; der Grund wurde aktualisiert.
owner-unblocked = { $kind ->
        [member] Mitglied
       *[guild] Server
    } `{ $id }` entsperrt.
owner-not-blocked = { $kind ->
        [member] Mitglied
       *[guild] Server
    } `{ $id }` war nicht gesperrt.
owner-stats-title = Aufträge { $period ->
        [day] des letzten Tages
        [week] der letzten Woche
       *[month] der letzten 30 Tage
    }
owner-stats-none = Keine Aufträge und keine Abbuchungen { $period ->
        [day] am letzten Tag
        [week] in der letzten Woche
       *[month] in den letzten 30 Tagen
    }.
owner-stats-line = { $guild } · { $provider }: { $jobs ->
        [one] { $jobs } Auftrag
       *[other] { $jobs } Aufträge
    }, { $errors ->
        [one] { $errors } Fehler
       *[other] { $errors } Fehler
    }, { $credits } Credits
owner-paused-field = Pausiert
owner-no-guild = kein Server (Kommandozeile)
