# fluxbot: notas guardadas con un trabajo como clave y argumentos, español. Claves y reglas: en-US/notes.ftl.

## Por qué un trabajo terminó sin imagen
failure-reason-moderated = El filtro de seguridad del proveedor rechazó el prompt, una imagen de entrada o la imagen que generó.
failure-reason-provider_failed = El proveedor no pudo generar la imagen; respondió: «{ $said }».
failure-reason-provider_failed_silent = El proveedor no pudo generar la imagen y no dio ningún motivo.
failure-reason-input = El proveedor rechazó las opciones o el prompt de esta solicitud.
failure-reason-input_said = El proveedor rechazó la solicitud: «{ $said }».
failure-reason-retired = { $provider } ya no ofrece este modelo.
failure-reason-cancelled = El trabajo se canceló antes de que el proveedor generara nada.
failure-reason-undeliverable = El bot no pudo publicar la imagen aquí ni enviártela.
failure-reason-image_lost = La imagen terminada se perdió antes de poder publicarse.

## Expand: lo que se hizo primero con el original
tools-scaled-down = Primero se redujo la imagen de { $before } a { $after }: ampliada a tamaño completo, habría superado el límite de Expand de { $limit } ({ $megapixels } MP).
