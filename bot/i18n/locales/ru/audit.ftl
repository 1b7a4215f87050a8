## Канал аудита сервера (bot/admin_actions.py, bot/discord/audit.py), на языке сервера.

audit-admin = 🛠 { $admin } { $action }
audit-admin-dashboard = 🛠 { $admin } { $action } (через веб-панель)
audit-limit = установил(а) лимит для { $label }: { $amount } кр. за период
audit-limit-cleared = снял(а) лимит для { $label }
audit-period = сменил(а) период квоты на «{ $period }»
audit-grant = выдал(а) { $amount } кр. для { $label } на { $key }
audit-reset = сбросил(а) расход за этот период для { $label }
audit-settings = изменил(а) настройки: { $changes }
audit-rule-added = добавил(а) правило для запросов `{ $rule }`
audit-rule-removed = удалил(а) правило для запросов `{ $rule }`
audit-erased = стёр(ла) данные участника на этом сервере ({ $count ->
    [one] { $count } задание
    [few] { $count } задания
   *[other] { $count } заданий
})
audit-change = { $setting } → { $value }
audit-setting-default_model = модель по умолчанию
audit-setting-allowed_models = разрешённые модели
audit-setting-max_safety_tolerance = предел safety tolerance
audit-setting-allowed_channels = разрешённые каналы
audit-setting-quota_period = период квоты
audit-setting-private_mode = режим приватности
audit-setting-audit_channel_id = канал аудита
audit-setting-nsfw_safety_tolerance = safety tolerance для каналов 18+
audit-setting-language = язык
audit-value-bot-default = как у бота
audit-value-all = все
audit-value-none = нет
audit-value-as-elsewhere = как везде
audit-value-default-language = по умолчанию

audit-job-delivered = ✅ { $member } · `{ $model }` · { $cost } · [результат]({ $link })
audit-job-delivered-nolink = ✅ { $member } · `{ $model }` · { $cost }
audit-job-failed = ❌ { $member } · `{ $model }` · { $reason } · { $cost }
audit-job-failed-link = ❌ { $member } · `{ $model }` · { $reason } · { $cost } · [ответ]({ $link })
audit-job-reason = { $state }: { $detail }
audit-charged = списано { $amount } кр.
audit-not-charged = ничего не списано
audit-rule-refused = 🚫 { $member } · запрос отклонён правилом `{ $rule }` в { $channel }
audit-low-balance = ⚠️ Баланс бота в BFL на исходе: осталось { $balance } кр. (предупреждение ниже { $threshold }).
audit-lost = Я больше не могу писать в канал аудита <#{ $channel }> сервера **{ $guild }** (Discord ответил { $status }). { $count ->
    [one] { $count } строка аудита ждёт и будет опубликована
    [few] { $count } строки аудита ждут и будут опубликованы
   *[other] { $count } строк аудита ждут и будут опубликованы
}, как только я снова смогу там писать; дайте мне право «Отправлять сообщения» в этом канале или выберите другой канал через `/admin settings audit_channel:`.
