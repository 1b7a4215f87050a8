# fluxbot: сообщения участникам, русский. Ключи и правила: en-US/messages.ftl.
# «кр.» — кредиты: сумма приходит уже отформатированной, так что склонение не нужно.

credits-unlimited = без ограничений
credits-text = { $amount } кр.

reply-apology = Что-то пошло не так на стороне бота (код `{ $ref }`). Ничего не списано; попробуйте ещё раз.
reply-missing-permission = Для этого нужно право { $permissions }.
reply-server-only = Эта команда работает только на сервере.
reply-not-here = Здесь эту команду использовать нельзя.
reply-bad-value = `{ $value }` — недопустимое значение для этого параметра.
reply-guild-install-only = Команды бота работают только на серверах, которые добавили бота. Ничего не сделано.
reply-admin-only = Это могут только участники с правом «Управлять сервером».

progress-queued = ⏳ В очереди
progress-queued-at = ⏳ В очереди (место { $position })
progress-sending = 📨 Отправка провайдеру…
progress-generating = 🎨 Генерация { $bar } { $elapsed } с
progress-generating-estimate = 🎨 Генерация { $bar } { $elapsed } с из ~{ $typical } с
progress-generating-slow = 🎨 Генерация { $bar } { $elapsed } с из ~{ $typical } с, дольше обычного
progress-finishing = 📥 Завершение…

state-queued = в очереди
state-submitting = отправка
state-running = генерация
state-fetching = завершение
state-delivering = публикация
state-delivered = готово
state-failed = ошибка
state-moderated = заблокировано
state-timed_out = время вышло
state-cancelled = отменено
state-undeliverable = не опубликовано

result-model = Модель
result-seed = Сид
result-size = Размер
result-cost = Стоимость
result-time = Время
result-requested-by = Запросил(а)
result-note = Примечание
result-seconds = { $seconds } с
result-ready-here = { $member }, ваше изображение готово.
result-ready-dm = Ваше изображение готово. Опубликовать его в { $channel } не получилось, поэтому вот оно.
result-ready-dm-nowhere = Ваше изображение готово. Опубликовать его не получилось, поэтому вот оно.

details-title = Задание { $job }
details-state = Состояние
details-provider = Провайдер
details-random = случайный
details-default = по умолчанию
details-estimate = ~{ $amount } кр. (оценка)
details-options = Параметры
details-asked = запрошено { $when }
details-took = заняло { $seconds } с
details-made-from = Сделано из
details-made-from-job = задание `{ $job }`
details-provider-job = Задание у провайдера
details-error = Ошибка
prompt-deleted = *(запрос удалён)*

option-aspect_ratio = пропорции
option-image_strength = сила изображения
option-output_format = формат
option-safety_tolerance = допуск фильтра
option-finetune_id = id файнтюна
option-finetune_strength = сила файнтюна
option-image_count = исходные изображения

jobs-title = Ваши задания
jobs-none = { $member }, у вас нет заданий в очереди или в работе.
jobs-position = { $state } (место { $position })
jobs-footer = Задания в очереди можно отменить бесплатно; начатые доработают до конца.

failure-failed = Изображение создать не удалось
failure-moderated = Заблокировано фильтром безопасности провайдера
failure-timed_out = Время вышло
failure-cancelled = Отменено
failure-undeliverable = Не удалось опубликовать
failure-other = Ошибка
failure-charged = Списано { $amount } кр.: провайдер выставил счёт за это задание.
failure-not-charged = Ничего не списано.
failure-reason-submit_unknown = Провайдер не подтвердил задание. Повторно оно не отправлялось, так что дважды с вас не спишут.
failure-reason-timeout = Провайдер отвечал слишком долго, и задание было прекращено.
failure-reason-not_found = Провайдер потерял задание.
failure-reason-download = Готовое изображение не удалось скачать у провайдера.
failure-reason-not_an_image = Провайдер вернул не изображение, поэтому ничего не опубликовано.
failure-reason-unreachable = Провайдер недоступен, поэтому задание так и не было отправлено.
failure-reason-storage = Бот не смог сохранить готовое изображение (диск заполнен или недоступен для записи).
failure-reason-inputs_lost = Исходное изображение потерялось до отправки задания. Ничего не списано; запустите команду ещё раз с изображением.
failure-reason-internal = Внутри бота что-то пошло не так.

quota-not-enabled = Генерация изображений для вас на этом сервере не включена (ваш лимит — 0 кр.). Попросите администратора сервера задать лимит. Ничего не списано.
quota-guild-used-up = Бюджет сервера на изображения пока исчерпан: заданию нужно около { $estimate } кр., а у сервера осталось { $left } кр. Сброс { $when }. Ничего не списано.
quota-member-short = Недостаточно квоты: заданию нужно около { $estimate } кр., а у вас осталось { $left } из { $limit } кр. в этом периоде (израсходовано { $used }). Квота сбросится { $when }. Ничего не списано.
quota-member-short-held = Недостаточно квоты: заданию нужно около { $estimate } кр., а у вас осталось { $left } из { $limit } кр. в этом периоде (израсходовано { $used }, из них { $held } удержано заданиями в работе). Квота сбросится { $when }. Ничего не списано.
queue-full = { $waiting ->
    [one] У вас уже { $waiting } задание в очереди или в работе. Дождитесь его завершения (см. `/jobs`) и попробуйте снова.
    [few] У вас уже { $waiting } задания в очереди или в работе. Дождитесь завершения одного из них (см. `/jobs`) и попробуйте снова.
   *[other] У вас уже { $waiting } заданий в очереди или в работе. Дождитесь завершения одного из них (см. `/jobs`) и попробуйте снова.
}

policy-channel = На этом сервере команды изображений нельзя использовать в этом канале. Пожалуйста, используйте { $channels }.
policy-model = `{ $model }` не разрешена на этом сервере. Разрешённые модели: { $allowed }.
policy-none = нет

plan-provider-missing = Провайдер { $provider } не настроен в этом боте.
plan-not-offered = `{ $model }` не предлагается провайдером { $provider }.
plan-unavailable = `{ $model }` недоступна в этом боте (её провайдер не настроен).
plan-empty-prompt = Запрос пуст; опишите изображение, которое хотите получить.
plan-prompt-too-long = Длина запроса — { $length } символов; предел — { $limit }.
plan-wrong-command-generate = `{ $model }` нельзя использовать с этой командой. Для неё есть `/imagine`.
plan-wrong-command-edit = `{ $model }` нельзя использовать с этой командой. Используйте `/edit` (или `/imagine` с ней).
plan-wrong-command-finetune = `{ $model }` нельзя использовать с этой командой. Для неё есть `/finetune`.
plan-safety-cap = `safety_tolerance` на этом сервере может быть не больше { $cap }.
plan-invalid-option = Недопустимый параметр: { $detail }

settings-title = Настройки сервера для команд изображений
settings-default-model = Модель по умолчанию
settings-allowed-models = Разрешённые модели
settings-all = все
settings-max-safety = Макс. допуск фильтра безопасности
settings-allowed-channels = Разрешённые каналы
settings-quota-period = Период квоты
settings-language = Язык
settings-bot-default = { $value } (по умолчанию в боте)
settings-saved = Сохранено.
settings-current = Текущие настройки (укажите параметры, чтобы их изменить):
settings-unknown-language = Бот не говорит на языке `{ $language }`. Выберите один из: { $languages }.

usage-used = Израсходовано
usage-held = Удержано
usage-limit = Лимит
usage-budget = Бюджет
usage-remaining = Осталось
usage-limit-granted = { $limit } (+{ $granted } начислено)

fit-reencoded = Пересохранено как { $format }, потому что оригинал ({ $original }) больше предела этого канала ({ $limit }).
fit-downscaled = Уменьшено с { $before } до { $after } и сохранено как { $format }, потому что оригинал ({ $original }) больше предела этого канала ({ $limit }).
fit-format-png = оптимизированный PNG
fit-format-lossy = { $format } с качеством { $quality }

button-reroll = Ещё раз
button-reroll-own-references = Ещё раз (изображения автора)
button-edit = Изменить
button-vary = Вариация
button-details = Подробности
button-delete = Удалить
button-cancel-numbered = Отменить { $number }
button-unknown = Эта кнопка боту неизвестна (возможно, она из старой версии). Ничего не сделано.
button-unknown-form = Эта форма боту неизвестна (возможно, она из старой версии). Ничего не сделано.
button-unknown-job = Это задание боту неизвестно (кнопка может быть от другого бота или поддельной).
button-purged-rerolled = Запрос и изображения этого задания больше не хранятся (они удаляются через { $days } дн. или при стирании данных участника), поэтому повторить его нельзя. Запустите команду заново.
button-purged-varied = Запрос и изображения этого задания больше не хранятся (они удаляются через { $days } дн. или при стирании данных участника), поэтому сделать вариацию нельзя. Запустите команду заново.
button-image-gone = Изображение этого задания больше недоступно, поэтому его нельзя использовать как исходное.
button-model-missing-edit = Для изменения нужна `{ $model }`, а этот бот её не предлагает.
button-model-missing-vary = Для вариации нужна `{ $model }`, а этот бот её не предлагает.
button-reroll-not-yours = Это изображение сделано из собственных исходных изображений { $member }, поэтому повторить его может только автор. «Вариация» и «Изменить» начинают с опубликованного изображения. Ничего не списано.
button-delete-not-yours = Удалить изображение может только тот, кто его запросил, или участник с правом «Управлять сообщениями».
button-delete-forbidden = Боту здесь не разрешено удалять это сообщение.
button-deleted = Удалено.
edit-form-title = Изменить изображение
edit-form-label = Что изменить?
edit-form-placeholder = например: сделай ночь, добавь снег на крышах
edit-form-not-yours = Эта форма принадлежит другому участнику; нажмите «Изменить», чтобы получить свою.
edit-form-empty = Форма вернулась без текста; нажмите кнопку ещё раз.
cancel-not-yours = Отменить задание может только тот, кто его запросил.
cancel-started = Задание уже началось и будет завершено; отменить можно только задания в очереди.
cancel-over = Задание уже закончено ({ $state }).
cancel-just-started = Задание только что началось, и отменить его уже нельзя.
cancel-done = Отменено: **{ $prompt }**. Ничего не списано.

quota-title = Квота: { $member }
quota-resets = Сброс
quota-limit-set-by = Чей лимит
quota-source-member = участника
quota-source-role = роли
quota-source-server-default = по умолчанию на сервере
quota-source-bot-default = по умолчанию в боте
quota-source-not-enforced = не применяется
quota-server-budget = Бюджет сервера
quota-server-budget-left = осталось { $left } из { $total } кр.
quota-last-charges = Последние списания
quota-footer = Период { $period } (UTC) · 1 кредит = $0,01 у провайдера

history-title = История изображений: { $member }
history-none = Изображений пока нет.
history-page = Страница { $page } из { $pages }
history-newer = ◀ Новее
history-older = Старше ▶
history-image = изображение
history-charged = списано
history-charged-by-provider = { $amount } кр. (списано провайдером)
history-held = ~{ $amount } кр. удержано
history-nothing-charged = ничего не списано

period-day = день
period-week = неделя
period-month = месяц

admin-amount-invalid = Сумма «{ $amount }» должна быть числом кредитов от 0 до 1 000 000 000, не более 6 знаков после запятой.
admin-amount-invalid-or-unlimited = Сумма «{ $amount }» должна быть числом кредитов от 0 до 1 000 000 000, не более 6 знаков после запятой, или `unlimited`.
admin-pick-member = Укажите `member` для области «участник».
admin-pick-role = Укажите `role` для области «роль».
admin-target-default = каждого участника (по умолчанию на сервере)
admin-target-guild = бюджета сервера
admin-target-everyone-with = всех с ролью { $role }
admin-target-members-with = участников с ролью { $role }
admin-target-everything = бюджета сервера и каждого участника
admin-channels-how = Укажите каналы #упоминаниями (или id) через пробел или запятую; `all` снимает ограничение.
admin-channel-unknown = { $channel } — не канал этого сервера.
admin-models-unknown = Неизвестная модель { $models }. Известные: { $known }.
admin-models-none = Модель не указана. Известные: { $known }.
admin-limit-nothing = Укажите `amount` (или `clear`), `period` или оба.
admin-limit-removed = Лимит для { $target } снят.
admin-limit-none = У { $target } не было собственного лимита.
admin-limit-set = Лимит для { $target }: **{ $amount }** кр. за период.
admin-period-set = Период квоты этого сервера теперь — **{ $period }** (UTC); следующий сброс { $when }. В новом периоде расход считается заново.
admin-grant-positive = Начислите положительное число кредитов.
admin-granted = Начислено **{ $amount }** кр. для { $target } на этот период ({ $period }), до сброса { $when }.
admin-granted-twice = Эта команда уже начислила **{ $amount }** кр. для { $target } на этот период ({ $period }); она пришла дважды, и повторно ничего не начислено.
admin-reset-twice = Эта команда уже сбросила расход этого периода для { $target }; она пришла дважды, и больше ничего не сброшено.
admin-reset-guild = Расход этого периода сброшен для { $target }. Задания в работе сохраняют свои удержания.
admin-reset-done = Расход этого периода сброшен для { $target } (с расходом: { $count }). Задания в работе сохраняют свои удержания.
admin-default-model-one = Укажите одну модель как модель по умолчанию.
admin-default-model-not-allowed = Модель по умолчанию `{ $model }` должна быть среди разрешённых.
admin-safety-range = `max_safety_tolerance` — от 0 до 6.
admin-safety-cap = Предел бота — { $cap }; сервер может его только понизить.

usage-heading-guild = Кредиты на изображения в { $server } · { $period }
usage-heading-of = Кредиты на изображения: { $name } · { $period }
usage-members = Участников с расходом
usage-top = Самые активные
usage-top-line = { $rank }. { $name } — израсходовано { $used }
usage-top-line-held = { $rank }. { $name } — израсходовано { $used }, удержано { $held }
chart-empty = В этом периоде расхода нет.
chart-used = израсходовано
chart-held = удержано заданиями в работе (кредиты)

## The database did not answer (issue 15)

reply-store-unavailable = Бот сейчас не может связаться со своей базой данных, поэтому ничего не сохранено и не списано. Попробуйте через минуту.

## Private results (issue 18)

result-ready-private = Ваше скрытое изображение готово (здесь его видите только вы).
settings-private = Скрытые результаты
settings-private-allow = разрешены (каждый выбирает сам)
settings-private-forbid = запрещены (результаты всегда публикуются в канале)
settings-private-force = всегда (результаты видит только их автор)
settings-private-invalid = `private` — одно из: allow, forbid, force.

## /dashboard (issue 20)

dashboard-not-set-up = Веб-панель в этом боте не настроена (оператор не задал WEB_PUBLIC_URL).
dashboard-link = Ваша ссылка для входа в веб-панель: { $url }
    Она работает один раз, 10 минут и только для вас: не делитесь ею.

## Reference images (bot/images.py, bot/discord/options.py)

input-not-downloaded = `{ $option }` не удалось скачать из Discord; прикрепите файл ещё раз.
input-too-large = `{ $option }` весит { $size } МБ; исходное изображение может быть не больше 20 МБ.
input-not-an-image = `{ $option }` — файл { $kind }, а не изображение; прикрепите { $accepted }.
input-empty = `{ $option }` пуст.
input-wrong-format = `{ $option }` — файл { $kind }; используйте { $accepted }.
input-animated = `{ $option }` анимирован; используйте статичное изображение ({ $accepted }).
input-too-many-pixels = В `{ $option }` слишком много пикселей для исходного изображения.
input-heif-unreadable = `{ $option }` — фото HEIC/HEIF, которое этот бот прочитать не может; сохраните его как JPEG или PNG.
input-unreadable = `{ $option }` — не читаемое изображение ({ $accepted }).

## Flags in the prompt (bot/flags.py)

flags-after = `{ $token }` стоит после флагов; напишите весь запрос до первого флага `--`.
flags-unknown = Неизвестный флаг `--{ $flag }`. Известные флаги: { $known }.
flags-needs-value = Флагу `--{ $flag }` нужно значение, например { $example }.
flags-invalid = `--{ $flag } { $value }` — недопустимо; пишите так: { $example }.
plan-count-imagine-only = `count` (серия изображений) работает только с `/imagine`.

## What a model takes (bot/providers/catalog.py)

catalog-unknown-model = Неизвестная модель `{ $model }`. Доступны: { $known }.
catalog-unsupported-options = { $options } нельзя использовать с `{ $model }`.
catalog-strength-needs-image = Для `image_strength` нужно `image`, чтобы сделать ремикс с `{ $model }`.
catalog-too-many-images = `{ $model }` принимает не больше { $count } исходных изображений; вы прикрепили { $attached }. Ничего не списано.
catalog-no-image = `{ $model }` не принимает исходное изображение.
catalog-one-image = `{ $model }` принимает одно исходное изображение; для четырёх используйте `/edit`.
catalog-ratio-form = `aspect_ratio` «{ $ratio }» должно выглядеть как 16:9.
catalog-sized-by-ratio = Размер `{ $model }` задаётся через `aspect_ratio` (от 21:9 до 9:21); укажите его или сразу `width` и `height`.
catalog-ratio-or-sides = Укажите либо `aspect_ratio`, либо `width` и `height`, но не всё сразу.
catalog-fixed-sizes = `{ $model }` бывает только фиксированных размеров ({ $sizes }); используйте `aspect_ratio`.
catalog-ratio-impossible = `aspect_ratio` { $ratio } нельзя получить из сторон { $low }–{ $high } пикселей.
validation-between = `{ $option }` должно быть от { $low } до { $high }.
validation-between-step = `{ $option }` должно быть от { $low } до { $high } и кратно { $step }.
validation-empty = `{ $option }` не может быть пустым.
validation-too-long = `{ $option }` слишком длинное (не больше { $limit } символов).
validation-one-of = `{ $option }` должно быть одним из: { $expected }.
validation-required = `{ $option }` обязательно.
validation-number = `{ $option }` должно быть числом.
validation-number-between = `{ $option }` должно быть числом от { $low } до { $high }.
validation-other = `{ $option }`: { $detail }.
validation-other-between = `{ $option }`: { $detail } (от { $low } до { $high }).
validation-lines = { $lines }

## Private results, restarts, /privacy, /settings

private-forbidden-here = Этот сервер не разрешает скрытые результаты; не включайте `private` (или запустите команду в другом месте). Ничего не списано.
reply-restarting = Бот перезапускается — попробуйте через минуту.
privacy-export-too-large = Ваши данные здесь занимают { $size } МБ даже в сжатом виде — больше, чем Discord позволяет отправить боту ({ $limit } МБ). Попросите копию у администраторов сервера. Ничего не отправлено.
privacy-erased = Данные { $member } на этом сервере стёрты: удалены запросы и изображения заданий — { $jobs } ({ $size } МБ). Записи журнала ({ $entries }) сохранены под псевдонимом, так что итоги расхода сервера не изменились.
privacy-exported = Ваши задания, запросы и записи журнала на этом сервере (это видите только вы).
preset-title = Ваши настройки команд изображений здесь
preset-saved = Сохранено. То, что вы укажете в команде, всё равно важнее; правила сервера важнее всего.
preset-shown = Ваши настройки (укажите параметры, чтобы изменить, `reset:` — чтобы сбросить):
preset-not-set = не задано
preset-format = Формат
preset-suffix = Суффикс
preset-on = вкл.
preset-off = выкл.
preset-unknown-model = `{ $model }` — не модель, которую бот предлагает для /imagine или /edit. Выберите из списка.
preset-bad-ratio = `{ $ratio }` — не пропорции от 21:9 до 9:21; пишите так: 16:9.
preset-suffix-flag = Суффикс не может содержать `--{ $flag }`; укажите это в самой команде (или в отдельной настройке).
preset-note-model = (не разрешена на этом сервере или недоступна: используется модель сервера по умолчанию)
preset-note-forbid = (этот сервер запрещает скрытые результаты)
preset-note-force = (этот сервер показывает все результаты скрыто)

## Why a job ended: provider errors the bot words itself

failure-reason-credit = У бота закончились средства на счёте у провайдера; сообщите администраторам сервера.
failure-reason-auth = Провайдер отклонил ключ бота; сообщите оператору бота.
failure-reason-server = У провайдера возникла проблема, и изображение не было создано.
failure-reason-network = Провайдер недоступен или не ответил вовремя.
failure-reason-error = Провайдер ответил ошибкой.
failure-reason-no_provider = Провайдер этого задания больше не настроен в боте.

## Models and their limits (FLUX.2, DISABLED_MODELS)

plan-model-disabled = `{ $model }` отключена в этом боте. Выберите другую модель; их список — в `/models`.
catalog-unsupported-options-on = { $options } нельзя использовать с `{ $model }` у { $provider }.
catalog-too-many-images-on = `{ $model }` у { $provider } принимает не больше { $count } исходных изображений; вы прикрепили { $attached }. Ничего не списано.
catalog-count-on = { $count } у { $provider }
catalog-too-many-images-on-elsewhere = `{ $model }` у { $provider } принимает не больше { $count } исходных изображений ({ $elsewhere }); вы прикрепили { $attached }. Ничего не списано.
validation-rule = { $detail }.
validation-pixels = `width` × `height` — { $size }; допускается не больше { $limit } Мп (2048×2048).
validation-multiple = `{ $option }` должно быть кратно { $step }.
validation-multiple-between = `{ $option }` должно быть кратно { $step } (от { $low } до { $high }).
validation-ratio-form = `{ $option }` должно выглядеть как 16:9.
validation-ratio-range = `{ $option }` должно быть от 21:9 до 9:21.

## /help (issue 18)

help-title = Справка fluxbot
help-intro = Создавайте и редактируйте изображения с FLUX. Начните с `/imagine prompt:a lighthouse at dusk --ar 16:9`. Выберите страницу ниже, чтобы увидеть параметры команды; `/models` показывает модели и их цены.
help-overview = Обзор
help-commands = Команды
help-menus = Правый клик по сообщению → Приложения
help-flags = Флаги в запросе
help-flags-intro = Пишутся в конце запроса, как в Midjourney: `a castle --ar 16:9 --seed 42`. Параметр команды важнее флага; неизвестный флаг отклоняется с подсказкой, как его писать.
help-buttons = Кнопки под изображением
help-buttons-intro = Они продолжают работать и после перезапуска бота.
help-example = Пример
help-required = обязательно
help-no-options = Без параметров.
help-sets = задаёт `{ $option }`
help-unknown = Здесь нет команды `/{ $name }`. Список — в `/help`.
help-choices = одно из: { $choices }
help-range = от { $low } до { $high }
help-length = до { $high } символов
help-type-attachment = вложение
help-type-boolean = да/нет
help-type-member = участник
help-type-role = роль
help-type-channel = канал
button-cancel = Отменить
button-reroll-summary = те же настройки с новым сидом (с исходными изображениями — только для того, кто их прикрепил)
button-edit-summary = форма спрашивает, что изменить; изображение редактируется с FLUX Kontext
button-vary-summary = вариация изображения (FLUX1.1 [pro] Ultra с ним в качестве образца)
button-details-summary = все настройки задания, скрыто
button-delete-summary = удаляет изображение (автор запроса или участники с правом «Управлять сообщениями»)
button-cancel-summary = в `/jobs`: отменяет задание в очереди; ничего не списывается

## /models (issue 18)

models-title = Модели изображений
models-intro = Модели, которые бот предлагает здесь, что каждая принимает и сколько стоит (1 кредит = $0,01). Выберите через `model:` или `--model`; параметры объясняет `/help`.
models-none = Здесь нет моделей: у бота не настроен ни один провайдер.
models-label = Модели
models-commands = Команды
models-takes = Принимает
models-price = Цена
models-served = Обслуживает
models-default = по умолчанию на сервере
models-not-allowed = не разрешена на этом сервере
models-mock = тестовый провайдер: локальная картинка, списание как у настоящей модели

## What a model takes and costs (/models, bot/providers/catalog.py)

takes-sides = { $low }–{ $high } пикс., кратно { $step }
takes-sides-pixels = { $low }–{ $high } пикс., кратно { $step }, не больше { $mp } Мп
takes-width-height = ширина × высота ({ $sides }) или пропорции
takes-references = до { $count } исходных изображений
takes-reference = одно исходное изображение
takes-aspect_ratio = пропорции от 21:9 до 9:21
takes-size = размеры { $sizes } (по пропорциям)
takes-image_prompt = изображение-образец
takes-raw = raw (сырой стиль)
takes-seed = сид
takes-prompt_upsampling = улучшение запроса
takes-disable_pup = улучшение запроса (включено, если не выключить)
takes-output_format = формат jpeg или png
price-per-mp = { $first } кр. за первый мегапиксель, { $extra } за каждый следующий мегапиксель результата или исходника
price-per-image = { $amount } кр. за изображение
price-estimate = не опубликована: удерживается около { $amount } кр., затем — сколько сообщит провайдер
price-unpublished = не опубликована: списывается столько, сколько сообщит провайдер

## /settings (field names)

preset-aspect-ratio = Пропорции

## Fill and Expand (issue 18)

tools-mask-size = Маска — { $mask }, а изображение — { $image }; размеры должны совпадать. Ничего не списано.
tools-mask-black = Маска полностью чёрная, поэтому ничего не будет перерисовано. Закрасьте белым то, что нужно изменить. Ничего не списано.
tools-mask-white = Маска полностью белая, поэтому перерисовано будет всё изображение: для нового изображения используйте `/imagine` или закрасьте чёрным то, что нужно сохранить. Ничего не списано.
tools-no-transparency = Прикрепите `mask` (белое — где изменить, чёрное — где оставить) или изображение, у которого изменяемая область прозрачна (PNG или WebP): у этого прозрачности нет. Ничего не списано.
tools-all-transparent = Изображение полностью прозрачное, поэтому от него ничего не останется: для нового изображения используйте `/imagine`. Ничего не списано.
tools-too-far = При таком расширении изображение превысит { $limit } даже из исходника, уменьшенного до { $side } пикселей; попросите меньше пикселей. Ничего не списано.
tools-zoom-or-sides = Укажите либо `--zoom`, либо стороны в пикселях (`top`, `bottom`, `left`, `right`), но не то и другое.
tools-how-far = Укажите, насколько расширить: `top`, `bottom`, `left` или `right` в пикселях, или `--zoom 2`.
tools-zoom-needs-image = `--zoom` отдаляет существующее изображение: используйте `/expand` (или кнопки отдаления под результатом).
tools-mask-not-here = `mask` нельзя использовать с `{ $model }`; используйте `/fill`.
tools-needs-image = Для `{ $model }` нужно `image`.
tools-one-image = `{ $model }` принимает одно изображение.
plan-wrong-command-fill = `{ $model }` нельзя использовать с этой командой. Для неё есть `/fill`.
plan-wrong-command-expand = `{ $model }` нельзя использовать с этой командой. Используйте `/expand` (или кнопки отдаления под результатом).
button-model-missing-expand = Для отдаления и сдвига нужна `{ $model }`, а этот бот её не предлагает.
button-purged-expanded = Запрос и изображения этого задания больше не хранятся (они удаляются через { $days } дн. или при стирании данных участника), поэтому расширить его нельзя. Запустите команду заново.
button-zoom15 = Отдалить 1,5×
button-zoom2 = Отдалить 2×
button-panleft = ⬅
button-panright = ➡
button-panup = ⬆
button-pandown = ⬇
button-zoom15-summary = Расширение (BFL): изображение в 1,5 раза шире и выше, поровну со всех сторон, с тем же запросом
button-zoom2-summary = Расширение (BFL): изображение вдвое шире и выше, поровну со всех сторон, с тем же запросом
button-panleft-summary = Расширение (BFL): слева добавляется половина ширины изображения
button-panright-summary = Расширение (BFL): справа добавляется половина ширины изображения
button-panup-summary = Расширение (BFL): сверху добавляется половина высоты изображения
button-pandown-summary = Расширение (BFL): снизу добавляется половина высоты изображения

# Пакеты (issue 18, п. 4): одно сообщение пакета
batch-images = Изображения
batch-line-arrived = **{ $place }** ✅ { $cost }
batch-line-arrived-seed = **{ $place }** ✅ сид `{ $seed }` · { $cost }
batch-line-charged = списано кредитов: { $amount }
batch-line-not-charged = ничего не списано
batch-line-coming = **{ $place }** ⏳ в пути
batch-ready-here = { $member }, ваши изображения готовы.
batch-ready-private = Ваши личные изображения (видны здесь только вам):
batch-ready-dm-nowhere = Ваши изображения. Мне не удалось опубликовать их в канале, поэтому они здесь.
button-batch = Перегенерировать все
button-batch-summary = под пакетом: весь пакет заново (столько же изображений, те же настройки, новые сиды)
button-delete-all = Удалить все
button-numbered = { $label } { $number }
# Ремикс (issue 18, п. 7)
button-remix = Ремикс
button-remix-summary = форма с уже заполненным запросом; новое изображение сохраняет все остальные настройки (модель, сид, параметры), а флаги в новом запросе имеют приоритет
button-purged-remixed = Запрос и изображения этого задания больше не хранятся (они удаляются через { $days } дн. или при удалении данных участника), поэтому сделать ремикс нельзя. Запустите команду заново.
remix-form-title = Ремикс: измените запрос
remix-form-label = Запрос
remix-form-not-yours = Эта форма ремикса принадлежит другому участнику; нажмите «Ремикс», чтобы получить свою.
# Контекстные меню сообщений (issue 18, п. 8)
reference-edit-title = Изменить с FLUX
reference-imagine-title = Использовать как образец
reference-edit-label = Что нужно изменить?
reference-imagine-label = Что из него сделать?
reference-edit-placeholder = напр.: сделай ночь, добавь снег на крышах
reference-imagine-placeholder = напр.: акварель этой сцены
reference-no-image = В этом сообщении нет прикреплённого изображения, поэтому изменять или использовать нечего. Щёлкните правой кнопкой по сообщению с изображением (вложением). Ничего не списано.
reference-gone = Этого сообщения (или его изображения) больше нет, поэтому использовать его нельзя. Ничего не списано.
reference-form-not-yours = Эта форма принадлежит другому участнику; щёлкните по сообщению правой кнопкой, чтобы получить свою.
## Refusals of the operators' gates (/owner pause and blocks, /admin rules)
refusal-paused = Владелец приостановил бота, поэтому сейчас он не принимает новых заданий. Ничего не списано.
refusal-paused-reason = Владелец приостановил бота, поэтому сейчас он не принимает новых заданий: { $reason }. Ничего не списано.
refusal-blocked-member = Вам запрещено пользоваться командами изображений этого бота. Ничего не списано.
refusal-blocked-guild = Этому серверу запрещено пользоваться командами изображений этого бота. Ничего не списано.
refusal-rule = Ваш запрос отклонён: он подпадает под правило этого сервера `{ $rule }`. Ничего не списано.

## /admin settings audit_channel: and nsfw_safety_tolerance:
settings-audit-not-channel = Укажите канал аудита упоминанием #канала (или его id) либо `clear`.
settings-audit-not-text = <#{ $channel }> — не текстовый канал этого сервера.
settings-audit-cannot-post = Я не могу писать в <#{ $channel }>: сначала дайте мне там права «Просмотр канала» и «Отправка сообщений».
settings-nsfw-above-cap = Предел бота — { $cap }; в каналах с возрастным ограничением его тоже нельзя превышать.
settings-audit-field = Канал аудита
settings-audit-lost = { $channel } (я не могу писать туда с { $since }; { $count ->
        [one] ждёт { $count } строка
        [few] ждут { $count } строки
       *[other] ждут { $count } строк
    })
settings-nsfw-field = Допуск фильтра в каналах с возрастным ограничением

## /owner (cogs/owner.py)
owner-only = Команду `/owner` могут использовать только владельцы бота.
owner-paused = Бот приостановлен: новые задания отклоняются; уже запущенные завершатся. `/owner resume` снимает паузу.
owner-paused-reason = Бот приостановлен: новые задания отклоняются с причиной «{ $reason }»; уже запущенные завершатся. `/owner resume` снимает паузу.
owner-resumed = Работа возобновлена: новые задания снова принимаются.
owner-not-paused = Бот не был приостановлен.
owner-bad-id = Укажите { $kind ->
        [member] участника
       *[guild] сервер
    } по id (от 15 до 21 цифры) или упоминанием.
owner-blocked = { $kind ->
        [member] Участник
       *[guild] Сервер
    } `{ $id }` заблокирован: его новые задания отклоняются. Уже запущенные завершатся.
owner-block-updated = { $kind ->
        [member] Участник
       *[guild] Сервер
    } `{ $id }` уже был заблокирован; причина обновлена.
owner-unblocked = { $kind ->
        [member] Участник
       *[guild] Сервер
    } `{ $id }` разблокирован.
owner-not-blocked = { $kind ->
        [member] Участник
       *[guild] Сервер
    } `{ $id }` не был заблокирован.
owner-stats-title = Задания за { $period ->
        [day] последний день
        [week] последнюю неделю
       *[month] последние 30 дней
    }
owner-stats-none = За { $period ->
        [day] последний день
        [week] последнюю неделю
       *[month] последние 30 дней
    } не было ни заданий, ни списаний.
owner-stats-line = { $guild } · { $provider }: { $jobs ->
        [one] { $jobs } задание
        [few] { $jobs } задания
       *[other] { $jobs } заданий
    }, { $errors ->
        [one] { $errors } ошибка
        [few] { $errors } ошибки
       *[other] { $errors } ошибок
    }, кредитов: { $credits }
owner-paused-field = Пауза
owner-no-guild = без сервера (командная строка)
