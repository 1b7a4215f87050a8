# fluxbot: ответы операторских команд (issue 19), русский. Ключи и правила: en-US/controls.ftl.

## /admin rules
rules-bad = Правило «{ $rule }» использовать нельзя: { $problem } Правило — это слова, фраза или слова с подстановочным знаком `*`.
rule-problem-too-long = Оно длиннее { $count ->
        [one] { $count } символа
       *[other] { $count } символов
    }.
rule-problem-no-word = В нём нужна хотя бы одна буква или цифра (одни подстановочные знаки отклоняли бы всё).
rule-problem-too-many-words = В нём больше { $count ->
        [one] { $count } слова
       *[other] { $count } слов
    }.
rules-too-many = На этом сервере уже { $count ->
        [one] { $count } правило
        [few] { $count } правила
       *[other] { $count } правил
    } — это предел; сначала удалите одно.
rules-added = Правило `{ $rule }` добавлено: запросы и инструкции Remix и Edit, которые под него подпадают, будут отклоняться.
rules-exists = Правило `{ $rule }` уже есть.
rules-removed = Правило `{ $rule }` удалено.
rules-unknown = На этом сервере нет правила `{ $rule }` (см. `/admin rules list`).
rules-none = На этом сервере нет правил для запросов. Добавьте правило командой `/admin rules add`.
rules-title = Правила для запросов на этом сервере

## /admin settings nsfw_safety_tolerance:
settings-nsfw-invalid = `nsfw_safety_tolerance` — уровень от 0 до { $cap } или `clear` (тогда в каналах 18+ тот же предел, что и в остальных).

## /owner blocks
owner-blocks-title = Заблокированные участники и серверы: { $count }
owner-blocks-none = Ни один участник и ни один сервер не заблокирован.
owner-blocks-line = { $kind ->
        [member] Участник
       *[guild] Сервер
    } { $target } · «{ $reason }» · заблокировал { $by }, { $when }
owner-blocks-line-no-reason = { $kind ->
        [member] Участник
       *[guild] Сервер
    } { $target } · причина не указана · заблокировал { $by }, { $when }
owner-blocks-more = … и ещё { $count } (более ранние) не показаны.
owner-blocks-page = Страница { $page }

## /admin privacy erase: строка в канале аудита
