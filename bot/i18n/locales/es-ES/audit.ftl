## El canal de auditoría del servidor (bot/admin_actions.py, bot/discord/audit.py), en el idioma del servidor.

audit-admin = 🛠 { $admin } { $action }
audit-admin-dashboard = 🛠 { $admin } { $action } (desde el panel web)
audit-limit = fijó el límite de { $label } en { $amount } créditos por periodo
audit-limit-cleared = quitó el límite de { $label }
audit-period = cambió el periodo de la cuota a { $period }
audit-grant = concedió { $amount } créditos a { $label } para { $key }
audit-reset = reinició el consumo de este periodo de { $label }
audit-settings = cambió los ajustes: { $changes }
audit-rule-added = añadió la regla de prompts `{ $rule }`
audit-rule-removed = quitó la regla de prompts `{ $rule }`
audit-erased = borró los datos de un miembro en este servidor ({ $count ->
    [one] { $count } trabajo
   *[other] { $count } trabajos
})
audit-change = { $setting } → { $value }
audit-setting-default_model = modelo predeterminado
audit-setting-allowed_models = modelos permitidos
audit-setting-max_safety_tolerance = tolerancia de seguridad máxima
audit-setting-allowed_channels = canales permitidos
audit-setting-quota_period = periodo de la cuota
audit-setting-private_mode = modo privado
audit-setting-audit_channel_id = canal de auditoría
audit-setting-nsfw_safety_tolerance = tolerancia de seguridad en canales +18
audit-setting-language = idioma
audit-value-bot-default = la del bot
audit-value-all = todos
audit-value-none = ninguno
audit-value-as-elsewhere = como en los demás
audit-value-default-language = predeterminado

audit-job-delivered = ✅ { $member } · `{ $model }` · { $cost } · [resultado]({ $link })
audit-job-delivered-nolink = ✅ { $member } · `{ $model }` · { $cost }
audit-job-failed = ❌ { $member } · `{ $model }` · { $reason } · { $cost }
audit-job-failed-link = ❌ { $member } · `{ $model }` · { $reason } · { $cost } · [respuesta]({ $link })
audit-job-reason = { $state }: { $detail }
audit-charged = { $amount } créditos cobrados
audit-not-charged = no se cobró nada
audit-rule-refused = 🚫 { $member } · prompt rechazado por la regla `{ $rule }` en { $channel }
audit-low-balance = ⚠️ El saldo de BFL del bot es bajo: quedan { $balance } créditos (aviso por debajo de { $threshold }).
audit-lost = Ya no puedo publicar en el canal de auditoría <#{ $channel }> de **{ $guild }** (Discord respondió { $status }). { $count ->
    [one] { $count } línea de auditoría espera y se publicará
   *[other] { $count } líneas de auditoría esperan y se publicarán
} cuando pueda volver a publicar allí; dame el permiso Enviar mensajes en ese canal o elige otro con `/admin settings audit_channel:`.
