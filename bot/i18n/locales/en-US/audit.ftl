## The server's audit channel (bot/admin_actions.py, bot/discord/audit.py), in the server's language.
## Mentions only show names there: nothing posted pings anyone.

audit-admin = 🛠 { $admin } { $action }
audit-admin-dashboard = 🛠 { $admin } { $action } (on the web dashboard)
audit-limit = set the limit of { $label } to { $amount } credits per period
audit-limit-cleared = removed the limit of { $label }
audit-period = changed the quota period to { $period }
audit-grant = granted { $amount } credits to { $label } for { $key }
audit-reset = reset this period's usage of { $label }
audit-settings = changed the settings: { $changes }
audit-rule-added = added the prompt rule `{ $rule }`
audit-rule-removed = removed the prompt rule `{ $rule }`
audit-erased = erased a member's data in this server ({ $count ->
    [one] { $count } job
   *[other] { $count } jobs
})
audit-change = { $setting } → { $value }
audit-setting-default_model = default model
audit-setting-allowed_models = allowed models
audit-setting-max_safety_tolerance = max safety tolerance
audit-setting-allowed_channels = allowed channels
audit-setting-quota_period = quota period
audit-setting-private_mode = private mode
audit-setting-audit_channel_id = audit channel
audit-setting-nsfw_safety_tolerance = nsfw safety tolerance
audit-setting-language = language
audit-value-bot-default = bot default
audit-value-all = all
audit-value-none = none
audit-value-as-elsewhere = as elsewhere
audit-value-default-language = default

audit-job-delivered = ✅ { $member } · `{ $model }` · { $cost } · [result]({ $link })
audit-job-delivered-nolink = ✅ { $member } · `{ $model }` · { $cost }
audit-job-failed = ❌ { $member } · `{ $model }` · { $reason } · { $cost }
audit-job-failed-link = ❌ { $member } · `{ $model }` · { $reason } · { $cost } · [reply]({ $link })
audit-job-reason = { $state }: { $detail }
audit-charged = { $amount } credits
audit-not-charged = nothing charged
audit-rule-refused = 🚫 { $member } · prompt refused by the rule `{ $rule }` in { $channel }
audit-low-balance = ⚠️ The bot's BFL balance is low: { $balance } credits left (warning below { $threshold }).
audit-lost = I can no longer post in the audit channel <#{ $channel }> of **{ $guild }** (Discord answered { $status }). { $count ->
    [one] { $count } audit line is waiting and will be posted
   *[other] { $count } audit lines are waiting and will be posted
} once I can post there again; give me Send Messages there, or pick another channel with `/admin settings audit_channel:`.
