# fluxbot: respuestas de los controles de operador (issue 19), español. Claves y reglas: en-US/controls.ftl.

## /admin rules
rules-bad = La regla «{ $rule }» no se puede usar: { $problem } Una regla son palabras, una frase o palabras con comodines `*`.
rule-problem-too-long = Tiene más de { $count } caracteres.
rule-problem-no-word = Necesita una letra o un dígito (solo comodines rechazarían todo).
rule-problem-too-many-words = Tiene más de { $count } palabras.
rules-too-many = Este servidor tiene { $count ->
        [one] { $count } regla
       *[other] { $count } reglas
    }, el máximo permitido; elimina una primero.
rules-added = Regla `{ $rule }` añadida: se rechazarán los prompts y las instrucciones de Remix y Edit que coincidan.
rules-exists = La regla `{ $rule }` ya existe.
rules-removed = Regla `{ $rule }` eliminada.
rules-unknown = No hay ninguna regla `{ $rule }` en este servidor (consulta `/admin rules list`).
rules-none = Este servidor no tiene reglas para prompts. Añade una con `/admin rules add`.
rules-title = Reglas para prompts de este servidor

## /admin settings nsfw_safety_tolerance:
settings-nsfw-invalid = `nsfw_safety_tolerance` es un nivel de 0 a { $cap }, o `clear` (los canales con restricción de edad tienen entonces el mismo tope que los demás).

## /owner blocks
owner-blocks-title = Miembros y servidores bloqueados: { $count }
owner-blocks-none = No hay ningún miembro ni servidor bloqueado.
owner-blocks-line = { $kind ->
        [member] Miembro
       *[guild] Servidor
    } { $target } · «{ $reason }» · por { $by }, { $when }
owner-blocks-line-no-reason = { $kind ->
        [member] Miembro
       *[guild] Servidor
    } { $target } · sin motivo indicado · por { $by }, { $when }
owner-blocks-more = … y { $count } más antiguos, sin listar.
owner-blocks-page = Página { $page }

## /admin privacy erase: la línea del canal de auditoría
