# fluxbot: mensajes para los miembros, español. Claves y reglas: en-US/messages.ftl.

credits-unlimited = ilimitado
credits-text = { $amount } créditos

reply-apology = Algo salió mal en el bot (referencia `{ $ref }`). No se ha cobrado nada; inténtalo de nuevo.
reply-missing-permission = Necesitas el permiso { $permissions } para hacer eso.
reply-server-only = Este comando solo funciona en un servidor.
reply-not-here = No puedes usar este comando aquí.
reply-bad-value = `{ $value }` no es un valor válido para esta opción.
reply-guild-install-only = Los comandos de este bot solo funcionan en servidores que lo han añadido. No se ha hecho nada.
reply-admin-only = Solo los miembros con el permiso Gestionar servidor pueden hacer eso.

progress-queued = ⏳ En cola
progress-queued-at = ⏳ En cola (posición { $position })
progress-sending = 📨 Enviando al proveedor…
progress-generating = 🎨 Generando { $bar } { $elapsed } s
progress-generating-estimate = 🎨 Generando { $bar } { $elapsed } s de ~{ $typical } s
progress-generating-slow = 🎨 Generando { $bar } { $elapsed } s de ~{ $typical } s, tarda más de lo normal
progress-finishing = 📥 Terminando…

state-queued = en cola
state-submitting = enviando
state-running = generando
state-fetching = terminando
state-delivering = publicando
state-delivered = entregado
state-failed = fallido
state-moderated = bloqueado
state-timed_out = agotado
state-cancelled = cancelado
state-undeliverable = no publicado

result-model = Modelo
result-seed = Semilla
result-size = Tamaño
result-cost = Coste
result-time = Tiempo
result-requested-by = Pedido por
result-note = Nota
result-seconds = { $seconds } s
result-ready-here = { $member } tu imagen está lista.
result-ready-dm = Tu imagen está lista. No he podido publicarla en { $channel }, así que aquí la tienes.
result-ready-dm-nowhere = Tu imagen está lista. No he podido publicarla, así que aquí la tienes.

details-title = Trabajo { $job }
details-state = Estado
details-provider = Proveedor
details-random = aleatoria
details-default = por defecto
details-estimate = ~{ $amount } créditos (estimado)
details-options = Opciones
details-asked = pedido { $when }
details-took = tardó { $seconds } s
details-made-from = Hecho a partir de
details-made-from-job = trabajo `{ $job }`
details-provider-job = Trabajo del proveedor
details-error = Error
prompt-deleted = *(prompt eliminado)*

option-aspect_ratio = proporción
option-image_strength = fuerza de la imagen
option-output_format = formato
option-safety_tolerance = tolerancia de seguridad
option-finetune_id = id del finetune
option-finetune_strength = fuerza del finetune
option-image_count = imágenes de referencia

jobs-title = Tus trabajos
jobs-none = { $member }, no tienes trabajos en cola ni en curso.
jobs-position = { $state } (posición { $position })
jobs-footer = Los trabajos en cola se pueden cancelar sin coste; los que están en curso terminan.

failure-failed = No se pudo crear la imagen
failure-moderated = Bloqueado por el filtro de seguridad del proveedor
failure-timed_out = Tiempo agotado
failure-cancelled = Cancelado
failure-undeliverable = No se pudo publicar
failure-other = Fallido
failure-charged = Se te han cobrado { $amount } créditos: el proveedor facturó este trabajo.
failure-not-charged = No se ha cobrado nada.
failure-reason-submit_unknown = El proveedor no confirmó el trabajo. No se volvió a enviar, así que no se te puede cobrar dos veces.
failure-reason-timeout = El proveedor tardó demasiado y se abandonó el trabajo.
failure-reason-not_found = El proveedor perdió el rastro del trabajo.
failure-reason-download = No se pudo descargar la imagen terminada del proveedor.
failure-reason-not_an_image = El proveedor devolvió algo que no es una imagen, así que no se publicó nada.
failure-reason-unreachable = No se pudo contactar con el proveedor, así que el trabajo nunca se envió.
failure-reason-storage = El bot no pudo guardar la imagen terminada (su disco está lleno o no admite escritura).
failure-reason-inputs_lost = La imagen de referencia se perdió antes de enviar el trabajo. No se ha cobrado nada; vuelve a ejecutar el comando con la imagen.
failure-reason-internal = Algo salió mal dentro del bot.

quota-not-enabled = La generación de imágenes no está activada para ti en este servidor (tu límite es de 0 créditos). Pide un límite a un administrador del servidor. No se ha cobrado nada.
quota-guild-used-up = El presupuesto de imágenes de este servidor se ha agotado por ahora: este trabajo necesita unos { $estimate } créditos y al servidor le quedan { $left }. Se restablece { $when }. No se ha cobrado nada.
quota-member-short = Cuota insuficiente: este trabajo necesita unos { $estimate } créditos y te quedan { $left } de { $limit } en este periodo ({ $used } usados). Tu cuota se restablece { $when }. No se ha cobrado nada.
quota-member-short-held = Cuota insuficiente: este trabajo necesita unos { $estimate } créditos y te quedan { $left } de { $limit } en este periodo ({ $used } usados, { $held } de ellos retenidos por tus trabajos en curso). Tu cuota se restablece { $when }. No se ha cobrado nada.
queue-full = { $waiting ->
    [one] Ya tienes { $waiting } trabajo en cola o en curso. Espera a que termine (mira `/jobs`) y vuelve a intentarlo.
   *[other] Ya tienes { $waiting } trabajos en cola o en curso. Espera a que termine uno (mira `/jobs`) y vuelve a intentarlo.
}

policy-channel = Los comandos de imagen no se pueden usar en este canal de este servidor. Usa { $channels }.
policy-model = `{ $model }` no está permitido en este servidor. Modelos permitidos: { $allowed }.
policy-none = ninguno

plan-provider-missing = El proveedor { $provider } no está configurado en este bot.
plan-not-offered = `{ $model }` no lo ofrece { $provider }.
plan-unavailable = `{ $model }` no está disponible en este bot (su proveedor no está configurado).
plan-empty-prompt = El prompt está vacío; describe la imagen que quieres.
plan-prompt-too-long = El prompt tiene { $length } caracteres; el límite es { $limit }.
plan-wrong-command-generate = `{ $model }` no se puede usar con este comando. Usa `/imagine` para él.
plan-wrong-command-edit = `{ $model }` no se puede usar con este comando. Usa `/edit` (o `/imagine` con una imagen).
plan-wrong-command-finetune = `{ $model }` no se puede usar con este comando. Usa `/finetune` para él.
plan-safety-cap = `safety_tolerance` puede ser como mucho { $cap } en este servidor.
plan-invalid-option = Opción no válida: { $detail }

settings-title = Ajustes del servidor para los comandos de imagen
settings-default-model = Modelo por defecto
settings-allowed-models = Modelos permitidos
settings-all = todos
settings-max-safety = Tolerancia de seguridad máx.
settings-allowed-channels = Canales permitidos
settings-quota-period = Periodo de cuota
settings-language = Idioma
settings-bot-default = { $value } (por defecto del bot)
settings-saved = Guardado.
settings-current = Ajustes actuales (indica opciones para cambiarlos):
settings-unknown-language = `{ $language }` no es un idioma que hable este bot. Elige uno de: { $languages }.

usage-used = Usado
usage-held = Retenido
usage-limit = Límite
usage-budget = Presupuesto
usage-remaining = Restante
usage-limit-granted = { $limit } (+{ $granted } concedidos)

fit-reencoded = Recodificada como { $format } porque el original ({ $original }) supera el límite de { $limit } de este canal.
fit-downscaled = Reducida de { $before } a { $after } y guardada como { $format } porque el original ({ $original }) supera el límite de { $limit } de este canal.
fit-format-png = un PNG optimizado
fit-format-lossy = { $format } con calidad { $quality }

button-reroll = Repetir
button-reroll-own-references = Repetir (referencias del autor)
button-edit = Editar
button-vary = Variar
button-details = Detalles
button-delete = Eliminar
button-cancel-numbered = Cancelar { $number }
button-unknown = El bot no conoce este botón (puede ser de una versión anterior). No se ha hecho nada.
button-unknown-form = El bot no conoce este formulario (puede ser de una versión anterior). No se ha hecho nada.
button-unknown-job = El bot no conoce ese trabajo (el botón puede ser de otro bot o estar falsificado).
button-purged-rerolled = El prompt y las imágenes de ese trabajo ya no se guardan (se borran a los { $days } días o cuando se borran los datos de un miembro), así que no se puede repetir. Vuelve a ejecutar el comando.
button-purged-varied = El prompt y las imágenes de ese trabajo ya no se guardan (se borran a los { $days } días o cuando se borran los datos de un miembro), así que no se puede variar. Vuelve a ejecutar el comando.
button-image-gone = La imagen de este trabajo ya no está disponible, así que no se puede usar como entrada.
button-model-missing-edit = Editar necesita `{ $model }`, que este bot no ofrece.
button-model-missing-vary = Variar necesita `{ $model }`, que este bot no ofrece.
button-reroll-not-yours = Esta imagen se hizo con las imágenes de referencia propias de { $member }, así que solo esa persona puede repetirla. Variar o Editar parten de la imagen publicada. No se ha cobrado nada.
button-delete-not-yours = Solo quien pidió esta imagen, o alguien con Gestionar mensajes, puede eliminarla.
button-delete-forbidden = El bot no tiene permiso para eliminar ese mensaje aquí.
button-deleted = Eliminado.
edit-form-title = Editar esta imagen
edit-form-label = ¿Qué debería cambiar?
edit-form-placeholder = p. ej., hazlo de noche, pon nieve en los tejados
edit-form-not-yours = Ese formulario es de otro miembro; pulsa Editar para tener el tuyo.
edit-form-empty = El formulario volvió sin texto; pulsa el botón otra vez.
cancel-not-yours = Solo quien pidió este trabajo puede cancelarlo.
cancel-started = Ese trabajo ya ha empezado y terminará; solo se pueden cancelar los trabajos en cola.
cancel-over = Ese trabajo ya ha terminado ({ $state }).
cancel-just-started = Ese trabajo acaba de empezar y ya no se puede cancelar.
cancel-done = Cancelado: **{ $prompt }**. No se ha cobrado nada.

quota-title = Cuota de { $member }
quota-resets = Se restablece
quota-limit-set-by = Límite fijado por
quota-source-member = miembro
quota-source-role = rol
quota-source-server-default = predeterminado del servidor
quota-source-bot-default = predeterminado del bot
quota-source-not-enforced = no aplicado
quota-server-budget = Presupuesto del servidor
quota-server-budget-left = quedan { $left } de { $total } créditos
quota-last-charges = Últimos cargos
quota-footer = Periodo { $period } (UTC) · 1 crédito = 0,01 $ en el proveedor

history-title = Historial de imágenes de { $member }
history-none = Aún no hay imágenes.
history-page = Página { $page } de { $pages }
history-newer = ◀ Más recientes
history-older = Más antiguas ▶
history-image = imagen
history-charged = cobrado
history-charged-by-provider = { $amount } créditos (cobrados por el proveedor)
history-held = ~{ $amount } créditos retenidos
history-nothing-charged = nada cobrado

period-day = día
period-week = semana
period-month = mes

admin-amount-invalid = La cantidad «{ $amount }» debe ser un número de créditos entre 0 y 1.000.000.000, con 6 decimales como mucho.
admin-amount-invalid-or-unlimited = La cantidad «{ $amount }» debe ser un número de créditos entre 0 y 1.000.000.000, con 6 decimales como mucho, o `unlimited`.
admin-pick-member = Elige el `member` para el ámbito miembro.
admin-pick-role = Elige el `role` para el ámbito rol.
admin-target-default = cada miembro (predeterminado del servidor)
admin-target-guild = el presupuesto del servidor
admin-target-everyone-with = todos los que tienen { $role }
admin-target-members-with = los miembros con { $role }
admin-target-everything = el presupuesto del servidor y cada miembro
admin-channels-how = Indica los canales como #menciones (o ids), separados por espacios o comas; `all` quita la restricción.
admin-channel-unknown = { $channel } no es un canal de este servidor.
admin-models-unknown = Modelo desconocido { $models }. Conocidos: { $known }.
admin-models-none = No se indicó ningún modelo. Conocidos: { $known }.
admin-limit-nothing = Indica un `amount` (o `clear`), un `period` o ambos.
admin-limit-removed = Límite eliminado para { $target }.
admin-limit-none = { $target } no tenía límite propio.
admin-limit-set = Límite para { $target }: **{ $amount }** créditos por periodo.
admin-period-set = El periodo de cuota de este servidor es ahora **{ $period }** (UTC); el próximo reinicio es { $when }. El uso se cuenta de nuevo en el nuevo periodo.
admin-grant-positive = Concede un número positivo de créditos.
admin-granted = Concedidos **{ $amount }** créditos a { $target } para este periodo ({ $period }), hasta el reinicio { $when }.
admin-granted-twice = Este comando ya concedió **{ $amount }** créditos a { $target } para este periodo ({ $period }); llegó dos veces y no se volvió a conceder.
admin-reset-twice = Este comando ya restableció el uso de este periodo para { $target }; llegó dos veces y no se restableció nada más.
admin-reset-guild = Uso de este periodo restablecido para { $target }. Los trabajos en curso conservan sus retenciones.
admin-reset-done = Uso de este periodo restablecido para { $target } (con uso: { $count }). Los trabajos en curso conservan sus retenciones.
admin-default-model-one = Indica un solo id de modelo como modelo por defecto.
admin-default-model-not-allowed = El modelo por defecto `{ $model }` debe ser uno de los modelos permitidos.
admin-safety-range = `max_safety_tolerance` va de 0 a 6.
admin-safety-cap = El tope del bot es { $cap }; un servidor solo puede bajarlo.

usage-heading-guild = Créditos de imagen en { $server } · { $period }
usage-heading-of = Créditos de imagen de { $name } · { $period }
usage-members = Miembros con uso
usage-top = Miembros principales
usage-top-line = { $rank }. { $name } — { $used } usados
usage-top-line-held = { $rank }. { $name } — { $used } usados, { $held } retenidos
chart-empty = Sin uso en este periodo.
chart-used = usado
chart-held = retenido por trabajos en curso (créditos)

## The database did not answer (issue 15)

reply-store-unavailable = El bot no puede acceder a su base de datos ahora mismo, así que no se ha guardado ni cobrado nada. Inténtalo de nuevo en un momento.

## Private results (issue 18)

result-ready-private = Tu imagen privada está lista (aquí solo la ves tú).
settings-private = Resultados privados
settings-private-allow = permitidos (cada miembro elige)
settings-private-forbid = prohibidos (los resultados siempre se publican en el canal)
settings-private-force = forzados (los resultados solo los ve quien los pidió)
settings-private-invalid = `private` es uno de: allow, forbid, force.

## /dashboard (issue 20)

dashboard-not-set-up = El panel web no está configurado en este bot (su operador no ha definido WEB_PUBLIC_URL).
dashboard-link = Tu enlace de acceso al panel web: { $url }
    Funciona una vez, durante 10 minutos, y solo para ti: no lo compartas.

## Reference images (bot/images.py, bot/discord/options.py)

input-not-downloaded = `{ $option }` no se pudo descargar de Discord; adjúntalo otra vez.
input-too-large = `{ $option }` ocupa { $size } MB; las imágenes de referencia pueden tener 20 MB como máximo.
input-not-an-image = `{ $option }` es un archivo { $kind }, no una imagen; adjunta { $accepted }.
input-empty = `{ $option }` está vacío.
input-wrong-format = `{ $option }` es un archivo { $kind }; usa { $accepted }.
input-animated = `{ $option }` está animado; usa una imagen fija ({ $accepted }).
input-too-many-pixels = `{ $option }` tiene demasiados píxeles para ser una imagen de referencia.
input-heif-unreadable = `{ $option }` es una foto HEIC/HEIF que este bot no puede leer; guárdala como JPEG o PNG.
input-unreadable = `{ $option }` no es una imagen legible ({ $accepted }).

## Flags in the prompt (bot/flags.py)

flags-after = `{ $token }` va después de los flags; pon todo el prompt antes del primer flag `--`.
flags-unknown = Flag desconocido `--{ $flag }`. Flags conocidos: { $known }.
flags-needs-value = `--{ $flag }` necesita un valor, p. ej. { $example }.
flags-invalid = `--{ $flag } { $value }` no es válido; escríbelo como { $example }.
plan-count-imagine-only = `count` (un lote de imágenes) solo funciona con `/imagine`.

## What a model takes (bot/providers/catalog.py)

catalog-unknown-model = Modelo desconocido `{ $model }`. Disponibles: { $known }.
catalog-unsupported-options = { $options } no se puede usar con `{ $model }`.
catalog-strength-needs-image = `image_strength` necesita una `image` para remezclar con `{ $model }`.
catalog-too-many-images = `{ $model }` admite como máximo { $count } imágenes de referencia; adjuntaste { $attached }. No se ha cobrado nada.
catalog-no-image = `{ $model }` no admite una imagen de referencia.
catalog-one-image = `{ $model }` admite una imagen de referencia; usa `/edit` para hasta cuatro.
catalog-ratio-form = `aspect_ratio` «{ $ratio }» debe tener la forma 16:9.
catalog-sized-by-ratio = El tamaño de `{ $model }` se da con `aspect_ratio` (de 21:9 a 9:21); indícalo, o `width` y `height` a la vez.
catalog-ratio-or-sides = Indica `aspect_ratio` o bien `width` y `height`, no los tres.
catalog-fixed-sizes = `{ $model }` tiene tamaños fijos ({ $sizes }); usa `aspect_ratio` en su lugar.
catalog-ratio-impossible = `aspect_ratio` { $ratio } no se puede formar con lados de { $low }–{ $high } píxeles.
validation-between = `{ $option }` debe estar entre { $low } y { $high }.
validation-between-step = `{ $option }` debe estar entre { $low } y { $high } y ser múltiplo de { $step }.
validation-empty = `{ $option }` no puede estar vacío.
validation-too-long = `{ $option }` es demasiado largo (como máximo { $limit } caracteres).
validation-one-of = `{ $option }` debe ser uno de { $expected }.
validation-required = `{ $option }` es obligatorio.
validation-number = `{ $option }` debe ser un número.
validation-number-between = `{ $option }` debe ser un número entre { $low } y { $high }.
validation-other = `{ $option }`: { $detail }.
validation-other-between = `{ $option }`: { $detail } (entre { $low } y { $high }).
validation-lines = { $lines }

## Private results, restarts, /privacy, /settings

private-forbidden-here = Este servidor no permite resultados privados; deja `private` desactivado (o usa el comando en otro sitio). No se ha cobrado nada.
reply-restarting = El bot se está reiniciando; inténtalo de nuevo en un momento.
privacy-export-too-large = Tus datos aquí ocupan { $size } MB incluso comprimidos, más de lo que Discord deja enviar al bot ({ $limit } MB). Pide una copia a los administradores del servidor. No se ha enviado nada.
privacy-erased = Datos de { $member } en este servidor borrados: se eliminaron los prompts e imágenes de { $jobs } trabajo(s) ({ $size } MB). Sus { $entries } entradas del registro se conservan con un seudónimo, así que los totales de uso del servidor no cambian.
privacy-exported = Tus trabajos, prompts y entradas del registro en este servidor (solo tú lo ves).
preset-title = Tus ajustes para los comandos de imagen aquí
preset-saved = Guardado. Lo que escribas en un comando sigue teniendo prioridad; las reglas del servidor, sobre ambos.
preset-shown = Tus ajustes (indica opciones para cambiarlos, `reset:` para borrarlos):
preset-not-set = sin definir
preset-format = Formato
preset-suffix = Sufijo
preset-on = sí
preset-off = no
preset-unknown-model = `{ $model }` no es un modelo que este bot ofrezca para /imagine o /edit. Elige uno de la lista.
preset-bad-ratio = `{ $ratio }` no es una proporción entre 21:9 y 9:21; escríbela como 16:9.
preset-suffix-flag = El sufijo no puede llevar `--{ $flag }`; indícalo en el propio comando (o en su ajuste).
preset-note-model = (no permitido en este servidor o no disponible: se usa el predeterminado del servidor)
preset-note-forbid = (este servidor prohíbe los resultados privados)
preset-note-force = (este servidor muestra todos los resultados en privado)

## Why a job ended: provider errors the bot words itself

failure-reason-credit = La cuenta del bot en el proveedor se ha quedado sin crédito; avisa a los administradores del servidor.
failure-reason-auth = El proveedor rechazó la clave del bot; avisa a quien opera el bot.
failure-reason-server = El proveedor tuvo un problema y no creó la imagen.
failure-reason-network = No se pudo contactar con el proveedor o no respondió a tiempo.
failure-reason-error = El proveedor respondió con un error.
failure-reason-no_provider = El proveedor de este trabajo ya no está configurado en el bot.

## Models and their limits (FLUX.2, DISABLED_MODELS)

plan-model-disabled = `{ $model }` está desactivado en este bot. Elige otro modelo; `/models` los enumera.
catalog-unsupported-options-on = { $options } no se puede usar con `{ $model }` en { $provider }.
catalog-too-many-images-on = `{ $model }` admite como máximo { $count } imágenes de referencia en { $provider }; adjuntaste { $attached }. No se ha cobrado nada.
catalog-count-on = { $count } en { $provider }
catalog-too-many-images-on-elsewhere = `{ $model }` admite como máximo { $count } imágenes de referencia en { $provider } ({ $elsewhere }); adjuntaste { $attached }. No se ha cobrado nada.
validation-rule = { $detail }.
validation-pixels = `width` × `height` es { $size }; se permiten como máximo { $limit } MP (2048×2048).
validation-multiple = `{ $option }` debe ser múltiplo de { $step }.
validation-multiple-between = `{ $option }` debe ser múltiplo de { $step } (entre { $low } y { $high }).
validation-ratio-form = `{ $option }` debe tener la forma 16:9.
validation-ratio-range = `{ $option }` debe estar entre 21:9 y 9:21.

## /help (issue 18)

help-title = Ayuda de fluxbot
help-intro = Crea y edita imágenes con FLUX. Empieza con `/imagine prompt:a lighthouse at dusk --ar 16:9`. Elige una página abajo para ver las opciones de un comando; `/models` lista los modelos y sus precios.
help-overview = Resumen
help-commands = Comandos
help-menus = Clic derecho en un mensaje → Aplicaciones
help-flags = Flags del prompt
help-flags-intro = Al final del prompt, al estilo de Midjourney: `a castle --ar 16:9 --seed 42`. Una opción del comando tiene prioridad sobre un flag; un flag desconocido se rechaza indicando cómo escribirlo.
help-buttons = Botones bajo una imagen
help-buttons-intro = Siguen funcionando después de que el bot se reinicie.
help-example = Ejemplo
help-required = obligatorio
help-no-options = Sin opciones.
help-sets = fija `{ $option }`
help-unknown = Aquí no hay ningún comando `/{ $name }`. `/help` los enumera.
help-choices = uno de: { $choices }
help-range = de { $low } a { $high }
help-length = hasta { $high } caracteres
help-type-attachment = archivo adjunto
help-type-boolean = sí/no
help-type-member = miembro
help-type-role = rol
help-type-channel = canal
button-cancel = Cancelar
button-reroll-summary = los mismos ajustes con una semilla nueva (con imágenes de referencia: solo quien las adjuntó)
button-edit-summary = un formulario pregunta qué cambiar; la imagen se edita con FLUX Kontext
button-vary-summary = una variación de la imagen (FLUX1.1 [pro] Ultra con ella como prompt de imagen)
button-details-summary = todos los ajustes del trabajo, en privado
button-delete-summary = elimina la imagen (quien la pidió o miembros con Gestionar mensajes)
button-cancel-summary = en `/jobs`: cancela un trabajo en cola; no se cobra nada

## /models (issue 18)

models-title = Modelos de imagen
models-intro = Los modelos que este bot ofrece aquí, qué admite cada uno y cuánto cuesta (1 crédito = 0,01 $). Elige uno con `model:` o `--model`; `/help` explica las opciones.
models-none = Aquí no se ofrece ningún modelo: el bot no tiene ningún proveedor configurado.
models-label = Modelos
models-commands = Comandos
models-takes = Admite
models-price = Precio
models-served = Servido por
models-default = predeterminado del servidor
models-not-allowed = no permitido en este servidor
models-mock = el proveedor de prueba: una imagen local, cobrada como la del modelo real

## What a model takes and costs (/models, bot/providers/catalog.py)

takes-sides = { $low }–{ $high } px, múltiplos de { $step }
takes-sides-pixels = { $low }–{ $high } px, múltiplos de { $step }, como máximo { $mp } MP
takes-width-height = ancho × alto ({ $sides }) o una proporción
takes-references = hasta { $count } imágenes de referencia
takes-reference = una imagen de referencia
takes-aspect_ratio = proporción de 21:9 a 9:21
takes-size = tamaños { $sizes } (a partir de una proporción)
takes-image_prompt = un prompt de imagen
takes-raw = raw (crudo)
takes-seed = semilla
takes-prompt_upsampling = enriquecer el prompt
takes-disable_pup = enriquecer el prompt (activado salvo que se desactive)
takes-output_format = formato jpeg o png
price-per-mp = { $first } créditos por el primer megapíxel, { $extra } por cada megapíxel más de salida o de referencia
price-per-image = { $amount } créditos por imagen
price-estimate = no publicado: se retienen unos { $amount } créditos y luego lo que indique el proveedor
price-unpublished = no publicado: se cobra lo que indique el proveedor

## /settings (field names)

preset-aspect-ratio = Proporción

## Fill and Expand (issue 18)

tools-mask-size = La máscara es de { $mask } pero la imagen es de { $image }; deben tener el mismo tamaño. No se ha cobrado nada.
tools-mask-black = La máscara es toda negra, así que no se repintaría nada. Pinta de blanco la zona que quieras cambiar. No se ha cobrado nada.
tools-mask-white = La máscara es toda blanca, así que se repintaría toda la imagen: usa `/imagine` para una imagen nueva, o pinta de negro la zona que quieras conservar. No se ha cobrado nada.
tools-no-transparency = Adjunta una `mask` (blanco donde debe cambiar la imagen, negro donde se queda) o una imagen cuya zona a cambiar sea transparente (PNG o WebP): esta no tiene transparencia. No se ha cobrado nada.
tools-all-transparent = La imagen es transparente por completo, así que no se conservaría nada: usa `/imagine` para una imagen nueva. No se ha cobrado nada.
tools-too-far = Ampliada tanto, la imagen superaría { $limit } incluso desde un original reducido a { $side } píxeles; pide menos píxeles. No se ha cobrado nada.
tools-zoom-or-sides = Indica `--zoom` o bien los lados en píxeles (`top`, `bottom`, `left`, `right`), no ambos.
tools-how-far = Indica cuánto ampliar: `top`, `bottom`, `left` o `right` en píxeles, o `--zoom 2`.
tools-zoom-needs-image = `--zoom` aleja una imagen existente: usa `/expand` (o los botones de alejar bajo un resultado).
tools-mask-not-here = `mask` no se puede usar con `{ $model }`; usa `/fill`.
tools-needs-image = `{ $model }` necesita una `image`.
tools-one-image = `{ $model }` admite una imagen.
plan-wrong-command-fill = `{ $model }` no se puede usar con este comando. Usa `/fill` para él.
plan-wrong-command-expand = `{ $model }` no se puede usar con este comando. Usa `/expand` (o los botones de alejar bajo un resultado).
button-model-missing-expand = Alejar y desplazar necesitan `{ $model }`, que este bot no ofrece.
button-purged-expanded = El prompt y las imágenes de ese trabajo ya no se guardan (se borran a los { $days } días o cuando se borran los datos de un miembro), así que no se puede ampliar. Vuelve a ejecutar el comando.
button-zoom15 = Alejar 1,5×
button-zoom2 = Alejar 2×
button-panleft = ⬅
button-panright = ➡
button-panup = ⬆
button-pandown = ⬇
button-zoom15-summary = Ampliar (BFL): la imagen 1,5 veces más ancha y alta, igual por todos los lados, con su prompt
button-zoom2-summary = Ampliar (BFL): la imagen el doble de ancha y alta, igual por todos los lados, con su prompt
button-panleft-summary = Ampliar (BFL): se añade a la izquierda la mitad del ancho de la imagen
button-panright-summary = Ampliar (BFL): se añade a la derecha la mitad del ancho de la imagen
button-panup-summary = Ampliar (BFL): se añade arriba la mitad del alto de la imagen
button-pandown-summary = Ampliar (BFL): se añade abajo la mitad del alto de la imagen

# Lotes (issue 18, punto 4): el mensaje único de un lote
batch-images = Imágenes
batch-line-arrived = **{ $place }** ✅ { $cost }
batch-line-arrived-seed = **{ $place }** ✅ semilla `{ $seed }` · { $cost }
batch-line-charged = se cobraron { $amount } créditos
batch-line-not-charged = no se cobró nada
batch-line-coming = **{ $place }** ⏳ en camino
batch-ready-here = { $member }, tus imágenes están listas.
batch-ready-private = Tus imágenes privadas (solo tú puedes verlas aquí):
batch-ready-dm-nowhere = Tus imágenes. No pude publicarlas en el canal, así que aquí están.
button-batch = Regenerar todas
button-batch-summary = bajo un lote: todo el lote de nuevo (las mismas imágenes, los mismos ajustes, semillas nuevas)
button-delete-all = Borrar todas
button-numbered = { $label } { $number }
# Remezcla (issue 18, punto 7)
button-remix = Remezclar
button-remix-summary = un formulario con el prompt ya escrito; la nueva imagen conserva todos los demás ajustes (modelo, semilla, opciones) y mandan los flags del nuevo prompt
button-purged-remixed = El prompt y las imágenes de ese trabajo ya no se guardan (se borran a los { $days } días o cuando se eliminan los datos de un miembro), así que no se puede remezclar. Vuelve a ejecutar el comando.
remix-form-title = Remezclar: cambia el prompt
remix-form-label = Prompt
remix-form-not-yours = Ese formulario de remezcla es de otro miembro; pulsa Remezclar para obtener el tuyo.
# Menús contextuales de mensajes (issue 18, punto 8)
reference-edit-title = Editar con FLUX
reference-imagine-title = Usar como referencia
reference-edit-label = ¿Qué debería cambiar?
reference-imagine-label = ¿Qué se debería crear a partir de ella?
reference-edit-placeholder = p. ej., hazlo de noche, añade nieve en los tejados
reference-imagine-placeholder = p. ej., una acuarela de esta escena
reference-no-image = Ese mensaje no tiene ninguna imagen adjunta, así que no hay nada que editar ni usar. Haz clic derecho en un mensaje con una imagen (un archivo adjunto). No se cobró nada.
reference-gone = Ese mensaje (o su imagen) ya no existe, así que no se puede usar. No se cobró nada.
reference-form-not-yours = Ese formulario es de otro miembro; haz clic derecho en el mensaje para obtener el tuyo.
## Refusals of the operators' gates (/owner pause and blocks, /admin rules)
refusal-paused = Su propietario ha pausado el bot, así que por ahora no acepta trabajos nuevos. No se ha cobrado nada.
refusal-paused-reason = Su propietario ha pausado el bot, así que por ahora no acepta trabajos nuevos: { $reason }. No se ha cobrado nada.
refusal-blocked-member = Tienes bloqueado el uso de los comandos de imagen de este bot. No se ha cobrado nada.
refusal-blocked-guild = Este servidor tiene bloqueado el uso de los comandos de imagen de este bot. No se ha cobrado nada.
refusal-rule = Tu prompt ha sido rechazado: coincide con la regla `{ $rule }` de este servidor. No se ha cobrado nada.

## /admin settings audit_channel: and nsfw_safety_tolerance:
settings-audit-not-channel = Indica el canal de auditoría con una #mención (o su id), o `clear`.
settings-audit-not-text = <#{ $channel }> no es un canal de texto de este servidor.
settings-audit-cannot-post = No puedo publicar en <#{ $channel }>: primero dame allí los permisos Ver canal y Enviar mensajes.
settings-nsfw-above-cap = El límite del bot es { $cap }; los canales con restricción de edad tampoco pueden superarlo.
settings-audit-field = Canal de auditoría
settings-audit-lost = { $channel } (no puedo publicar allí desde { $since }; { $count ->
        [one] { $count } línea en espera
       *[other] { $count } líneas en espera
    })
settings-nsfw-field = Tolerancia de seguridad en canales con restricción de edad

## /owner (cogs/owner.py)
owner-only = Solo los propietarios del bot pueden usar `/owner`.
owner-paused = En pausa: se rechazan los trabajos nuevos; los que ya están en marcha terminan. `/owner resume` la termina.
owner-paused-reason = En pausa: se rechazan los trabajos nuevos con «{ $reason }»; los que ya están en marcha terminan. `/owner resume` la termina.
owner-resumed = Reanudado: se vuelven a aceptar trabajos nuevos.
owner-not-paused = El bot no estaba en pausa.
owner-bad-id = Indica { $kind ->
        [member] el miembro
       *[guild] el servidor
    } con su id (de 15 a 21 cifras) o una mención.
owner-blocked = { $kind ->
        [member] Miembro
       *[guild] Servidor
    } `{ $id }` bloqueado: se rechazan sus trabajos nuevos. Los que ya están en marcha terminan.
owner-block-updated = { $kind ->
        [member] El miembro
       *[guild] El servidor
    } `{ $id }` ya estaba bloqueado; se ha actualizado el motivo.
owner-unblocked = { $kind ->
        [member] Miembro
       *[guild] Servidor
    } `{ $id }` desbloqueado.
owner-not-blocked = { $kind ->
        [member] El miembro
       *[guild] El servidor
    } `{ $id }` no estaba bloqueado.
owner-stats-title = Trabajos { $period ->
        [day] del último día
        [week] de la última semana
       *[month] de los últimos 30 días
    }
owner-stats-none = Ningún trabajo ni cobro { $period ->
        [day] en el último día
        [week] en la última semana
       *[month] en los últimos 30 días
    }.
owner-stats-line = { $guild } · { $provider }: { $jobs ->
        [one] { $jobs } trabajo
       *[other] { $jobs } trabajos
    }, { $errors ->
        [one] { $errors } error
       *[other] { $errors } errores
    }, { $credits } créditos
owner-paused-field = En pausa
owner-no-guild = sin servidor (línea de comandos)
