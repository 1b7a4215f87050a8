# fluxbot：面向成员的消息，简体中文。键名与规则见 en-US/messages.ftl。

credits-unlimited = 不限
credits-text = { $amount } 点额度

reply-apology = 机器人出了点问题（参考编号 `{ $ref }`）。没有扣除任何额度，请再试一次。
reply-missing-permission = 你需要 { $permissions } 权限才能这样做。
reply-server-only = 此命令只能在服务器中使用。
reply-not-here = 你不能在这里使用此命令。
reply-bad-value = `{ $value }` 不是此选项的有效值。
reply-guild-install-only = 本机器人的命令只能在添加了机器人的服务器中使用。未执行任何操作。
reply-admin-only = 只有拥有“管理服务器”权限的成员才能这样做。

progress-queued = ⏳ 排队中
progress-queued-at = ⏳ 排队中（第 { $position } 位）
progress-sending = 📨 正在发送给服务商…
progress-generating = 🎨 生成中 { $bar } { $elapsed } 秒
progress-generating-estimate = 🎨 生成中 { $bar } { $elapsed } 秒 / 约 { $typical } 秒
progress-generating-slow = 🎨 生成中 { $bar } { $elapsed } 秒 / 约 { $typical } 秒，比平时慢
progress-finishing = 📥 即将完成…

state-queued = 排队中
state-submitting = 发送中
state-running = 生成中
state-fetching = 即将完成
state-delivering = 发布中
state-delivered = 已完成
state-failed = 失败
state-moderated = 已拦截
state-timed_out = 已超时
state-cancelled = 已取消
state-undeliverable = 未能发布

result-model = 模型
result-seed = 种子
result-size = 尺寸
result-cost = 费用
result-time = 用时
result-requested-by = 请求者
result-note = 备注
result-seconds = { $seconds } 秒
result-ready-here = { $member } 你的图片已生成。
result-ready-dm = 你的图片已生成。我无法在 { $channel } 发布它，所以发到这里。
result-ready-dm-nowhere = 你的图片已生成。我无法发布它，所以发到这里。

details-title = 任务 { $job }
details-state = 状态
details-provider = 服务商
details-random = 随机
details-default = 默认
details-estimate = 约 { $amount } 点额度（预估）
details-options = 选项
details-asked = 请求于 { $when }
details-took = 用时 { $seconds } 秒
details-made-from = 来源
details-made-from-job = 任务 `{ $job }`
details-provider-job = 服务商任务
details-error = 错误
prompt-deleted = *（提示词已删除）*

option-aspect_ratio = 宽高比
option-image_strength = 图片强度
option-output_format = 格式
option-safety_tolerance = 安全容忍度
option-finetune_id = 微调 id
option-finetune_strength = 微调强度
option-image_count = 参考图片

jobs-title = 你的任务
jobs-none = { $member }，你没有排队中或进行中的任务。
jobs-position = { $state }（第 { $position } 位）
jobs-footer = 排队中的任务可以免费取消；进行中的任务会继续完成。

failure-failed = 图片未能生成
failure-moderated = 被服务商的安全过滤器拦截
failure-timed_out = 已超时
failure-cancelled = 已取消
failure-undeliverable = 未能发布
failure-other = 失败
failure-charged = 已扣除 { $amount } 点额度：服务商对此任务收了费。
failure-not-charged = 没有扣除任何额度。
failure-reason-submit_unknown = 服务商没有确认该任务。任务没有重新发送，所以不会被重复扣费。
failure-reason-timeout = 服务商耗时过长，任务已放弃。
failure-reason-not_found = 服务商丢失了该任务。
failure-reason-download = 无法从服务商下载生成好的图片。
failure-reason-not_an_image = 服务商返回的不是图片，因此没有发布任何内容。
failure-reason-unreachable = 无法连接服务商，任务从未发送。
failure-reason-storage = 机器人无法保存生成好的图片（磁盘已满或不可写）。
failure-reason-inputs_lost = 参考图片在任务发送前丢失。没有扣除任何额度；请带上图片重新运行命令。
failure-reason-internal = 机器人内部出了问题。

quota-not-enabled = 你在本服务器还没有开通图片生成（你的上限为 0 点额度）。请联系服务器管理员设置上限。没有扣除任何额度。
quota-guild-used-up = 本服务器的图片预算暂时用完了：此任务约需 { $estimate } 点额度，服务器只剩 { $left }。将于 { $when } 重置。没有扣除任何额度。
quota-member-short = 额度不足：此任务约需 { $estimate } 点额度，你本周期的 { $limit } 点中还剩 { $left }（已用 { $used }）。你的额度将于 { $when } 重置。没有扣除任何额度。
quota-member-short-held = 额度不足：此任务约需 { $estimate } 点额度，你本周期的 { $limit } 点中还剩 { $left }（已用 { $used }，其中 { $held } 被进行中的任务占用）。你的额度将于 { $when } 重置。没有扣除任何额度。
queue-full = 你已有 { $waiting } 个任务在排队或进行中。请等其中一个完成（见 `/jobs`）后再试。

policy-channel = 本服务器不允许在此频道使用图片命令。请前往 { $channels }。
policy-model = 本服务器不允许使用 `{ $model }`。允许的模型：{ $allowed }。
policy-none = 无

plan-provider-missing = 本机器人没有配置服务商 { $provider }。
plan-not-offered = { $provider } 不提供 `{ $model }`。
plan-unavailable = 本机器人无法使用 `{ $model }`（其服务商未配置）。
plan-empty-prompt = 提示词为空；请描述你想要的图片。
plan-prompt-too-long = 提示词长 { $length } 个字符；上限为 { $limit }。
plan-wrong-command-generate = `{ $model }` 不能用于此命令。请使用 `/imagine`。
plan-wrong-command-edit = `{ $model }` 不能用于此命令。请使用 `/edit`（或带图片的 `/imagine`）。
plan-wrong-command-finetune = `{ $model }` 不能用于此命令。请使用 `/finetune`。
plan-safety-cap = 本服务器的 `safety_tolerance` 最多为 { $cap }。
plan-invalid-option = 无效的选项：{ $detail }

settings-title = 图片命令的服务器设置
settings-default-model = 默认模型
settings-allowed-models = 允许的模型
settings-all = 全部
settings-max-safety = 最大安全容忍度
settings-allowed-channels = 允许的频道
settings-quota-period = 额度周期
settings-language = 语言
settings-bot-default = { $value }（机器人默认）
settings-saved = 已保存。
settings-current = 当前设置（提供选项即可修改）：
settings-unknown-language = 本机器人不支持 `{ $language }`。请从以下语言中选择：{ $languages }。

usage-used = 已用
usage-held = 占用中
usage-limit = 上限
usage-budget = 预算
usage-remaining = 剩余
usage-limit-granted = { $limit }（另发放 { $granted }）

fit-reencoded = 已重新编码为 { $format }，因为原图（{ $original }）超过了此频道 { $limit } 的上传上限。
fit-downscaled = 已从 { $before } 缩小到 { $after } 并保存为 { $format }，因为原图（{ $original }）超过了此频道 { $limit } 的上传上限。
fit-format-png = 优化过的 PNG
fit-format-lossy = 质量 { $quality } 的 { $format }

button-reroll = 重新生成
button-reroll-own-references = 重新生成（请求者的参考图）
button-edit = 编辑
button-vary = 变体
button-details = 详情
button-delete = 删除
button-cancel-numbered = 取消 { $number }
button-unknown = 机器人不认识这个按钮（可能来自旧版本）。未执行任何操作。
button-unknown-form = 机器人不认识这个表单（可能来自旧版本）。未执行任何操作。
button-unknown-job = 机器人不认识该任务（按钮可能来自其他机器人或被伪造）。
button-purged-rerolled = 该任务的提示词和图片已不再保存（它们会在 { $days } 天后或成员数据被清除时删除），因此无法重新生成。请重新运行命令。
button-purged-varied = 该任务的提示词和图片已不再保存（它们会在 { $days } 天后或成员数据被清除时删除），因此无法生成变体。请重新运行命令。
button-image-gone = 该任务的图片已不可用，无法作为输入。
button-model-missing-edit = 编辑需要 `{ $model }`，本机器人不提供该模型。
button-model-missing-vary = 变体需要 `{ $model }`，本机器人不提供该模型。
button-reroll-not-yours = 这张图片由 { $member } 自己的参考图生成，只有对方可以重新生成。“变体”和“编辑”会从已发布的图片开始。没有扣除任何额度。
button-delete-not-yours = 只有请求这张图片的成员，或拥有“管理消息”权限的人，才能删除它。
button-delete-forbidden = 机器人无权在此删除那条消息。
button-deleted = 已删除。
edit-form-title = 编辑这张图片
edit-form-label = 要改成什么样？
edit-form-placeholder = 例如：改成夜晚，在屋顶上加雪
edit-form-not-yours = 这个编辑表单属于其他成员；请点击“编辑”获取你自己的表单。
edit-form-empty = 表单返回时没有内容；请再点一次按钮。
cancel-not-yours = 只有请求该任务的成员才能取消它。
cancel-started = 该任务已经开始并会完成；只有排队中的任务可以取消。
cancel-over = 该任务已经结束（{ $state }）。
cancel-just-started = 该任务刚刚开始，已无法取消。
cancel-done = 已取消 **{ $prompt }**。没有扣除任何额度。

quota-title = { $member } 的额度
quota-resets = 重置时间
quota-limit-set-by = 上限来源
quota-source-member = 成员
quota-source-role = 身份组
quota-source-server-default = 服务器默认
quota-source-bot-default = 机器人默认
quota-source-not-enforced = 未启用
quota-server-budget = 服务器预算
quota-server-budget-left = 剩余 { $left } / { $total } 点额度
quota-last-charges = 最近扣费
quota-footer = 周期 { $period }（UTC）· 1 点额度 = 服务商处 0.01 美元

history-title = { $member } 的图片历史
history-none = 还没有图片。
history-page = 第 { $page } 页，共 { $pages } 页
history-newer = ◀ 较新
history-older = 较早 ▶
history-image = 图片
history-charged = 已扣费
history-charged-by-provider = { $amount } 点额度（服务商已收费）
history-held = 占用约 { $amount } 点额度
history-nothing-charged = 未扣费

period-day = 日
period-week = 周
period-month = 月

admin-amount-invalid = 数额“{ $amount }”必须是 0 到 1,000,000,000 之间的额度，最多 6 位小数。
admin-amount-invalid-or-unlimited = 数额“{ $amount }”必须是 0 到 1,000,000,000 之间的额度，最多 6 位小数，或 `unlimited`。
admin-pick-member = 范围为成员时请选择 `member`。
admin-pick-role = 范围为身份组时请选择 `role`。
admin-target-default = 每位成员（服务器默认）
admin-target-guild = 服务器预算
admin-target-everyone-with = 所有拥有 { $role } 的人
admin-target-members-with = 拥有 { $role } 的成员
admin-target-everything = 服务器预算和每位成员
admin-channels-how = 请用 #提及（或 id）列出频道，以空格或逗号分隔；`all` 表示取消限制。
admin-channel-unknown = { $channel } 不是本服务器的频道。
admin-models-unknown = 未知模型 { $models }。已知模型：{ $known }。
admin-models-none = 没有提供模型。已知模型：{ $known }。
admin-limit-nothing = 请提供 `amount`（或 `clear`）、`period`，或两者都提供。
admin-limit-removed = 已移除 { $target } 的上限。
admin-limit-none = { $target } 没有单独设置的上限。
admin-limit-set = { $target } 的上限：每周期 **{ $amount }** 点额度。
admin-period-set = 本服务器的额度周期现在是 **{ $period }**（UTC）；下次重置在 { $when }。新周期内用量重新计算。
admin-grant-positive = 请发放正数的额度。
admin-granted = 已为 { $target } 在本周期（{ $period }）发放 **{ $amount }** 点额度，有效至 { $when } 重置。
admin-granted-twice = 此命令已经为 { $target } 在本周期（{ $period }）发放过 **{ $amount }** 点额度；命令收到了两次，没有重复发放。
admin-reset-twice = 此命令已经重置过 { $target } 本周期的用量；命令收到了两次，没有再重置。
admin-reset-guild = 已重置 { $target } 本周期的用量。进行中的任务保留其占用额度。
admin-reset-done = 已重置 { $target } 本周期的用量（有用量的：{ $count }）。进行中的任务保留其占用额度。
admin-default-model-one = 请只提供一个模型 id 作为默认模型。
admin-default-model-not-allowed = 默认模型 `{ $model }` 必须在允许的模型之中。
admin-safety-range = `max_safety_tolerance` 的范围是 0 到 6。
admin-safety-cap = 机器人的上限是 { $cap }；服务器只能调低它。

usage-heading-guild = { $server } 的图片额度 · { $period }
usage-heading-of = { $name } 的图片额度 · { $period }
usage-members = 有用量的成员
usage-top = 用量最多的成员
usage-top-line = { $rank }. { $name } — 已用 { $used }
usage-top-line-held = { $rank }. { $name } — 已用 { $used }，占用 { $held }
chart-empty = 本周期没有用量。
chart-used = 已用
chart-held = 进行中任务占用（额度）

## The database did not answer (issue 15)

reply-store-unavailable = 机器人暂时无法连接数据库，因此没有保存或扣除任何内容。请稍后再试。

## Private results (issue 18)

result-ready-private = 你的私密图片已生成（这里只有你能看到）。
settings-private = 私密结果
settings-private-allow = 允许（成员自选）
settings-private-forbid = 禁止（结果总是发布在频道中）
settings-private-force = 强制（结果只给请求者本人看）
settings-private-invalid = `private` 只能是 allow、forbid、force 之一。

## /dashboard (issue 20)

dashboard-not-set-up = 本机器人未设置网页控制台（运营者没有设置 WEB_PUBLIC_URL）。
dashboard-link = 你的网页控制台登录链接：{ $url }
    它只能使用一次，有效期 10 分钟，且仅限你本人：请勿分享。

## Reference images (bot/images.py, bot/discord/options.py)

input-not-downloaded = 无法从 Discord 下载 `{ $option }`；请重新添加附件。
input-too-large = `{ $option }` 大小为 { $size } MB；参考图片最大 20 MB。
input-not-an-image = `{ $option }` 是 { $kind } 文件，不是图片；请添加 { $accepted }。
input-empty = `{ $option }` 是空文件。
input-wrong-format = `{ $option }` 是 { $kind } 文件；请使用 { $accepted }。
input-animated = `{ $option }` 是动图；请使用静态图片（{ $accepted }）。
input-too-many-pixels = `{ $option }` 像素太多，无法作为参考图片。
input-heif-unreadable = `{ $option }` 是 HEIC/HEIF 照片，本机器人无法读取；请另存为 JPEG 或 PNG。
input-unreadable = `{ $option }` 不是可读取的图片（{ $accepted }）。

## Flags in the prompt (bot/flags.py)

flags-after = `{ $token }` 位于参数之后；请把完整的提示词写在第一个 `--` 参数之前。
flags-unknown = 未知参数 `--{ $flag }`。可用参数：{ $known }。
flags-needs-value = `--{ $flag }` 需要一个值，例如 { $example }。
flags-invalid = `--{ $flag } { $value }` 无效；请写成 { $example }。
plan-count-imagine-only = `count`（批量生成）只能用于 `/imagine`。

## What a model takes (bot/providers/catalog.py)

catalog-unknown-model = 未知模型 `{ $model }`。可用模型：{ $known }。
catalog-unsupported-options = { $options } 不能与 `{ $model }` 一起使用。
catalog-strength-needs-image = `image_strength` 需要提供 `image`，才能用 `{ $model }` 混合。
catalog-too-many-images = `{ $model }` 最多接受 { $count } 张参考图片；你添加了 { $attached } 张。没有扣除任何额度。
catalog-no-image = `{ $model }` 不接受参考图片。
catalog-one-image = `{ $model }` 只接受一张参考图片；最多四张请用 `/edit`。
catalog-ratio-form = `aspect_ratio`“{ $ratio }”应写成 16:9 的形式。
catalog-sized-by-ratio = `{ $model }` 的尺寸由 `aspect_ratio`（21:9 到 9:21）决定；请提供它，或同时提供 `width` 和 `height`。
catalog-ratio-or-sides = 请只提供 `aspect_ratio`，或 `width` 和 `height`，不要三者都给。
catalog-fixed-sizes = `{ $model }` 只有固定尺寸（{ $sizes }）；请改用 `aspect_ratio`。
catalog-ratio-impossible = `aspect_ratio` { $ratio } 无法由 { $low }–{ $high } 像素的边长构成。
validation-between = `{ $option }` 必须介于 { $low } 和 { $high } 之间。
validation-between-step = `{ $option }` 必须介于 { $low } 和 { $high } 之间，且是 { $step } 的倍数。
validation-empty = `{ $option }` 不能为空。
validation-too-long = `{ $option }` 太长（最多 { $limit } 个字符）。
validation-one-of = `{ $option }` 必须是 { $expected } 之一。
validation-required = `{ $option }` 为必填项。
validation-number = `{ $option }` 必须是数字。
validation-number-between = `{ $option }` 必须是介于 { $low } 和 { $high } 之间的数字。
validation-other = `{ $option }`：{ $detail }。
validation-other-between = `{ $option }`：{ $detail }（介于 { $low } 和 { $high } 之间）。
validation-lines = { $lines }

## Private results, restarts, /privacy, /settings

private-forbidden-here = 本服务器不允许私密结果；请不要开启 `private`（或在其他地方使用该命令）。没有扣除任何额度。
reply-restarting = 机器人正在重启，请稍后再试。
privacy-export-too-large = 你在这里的数据压缩后仍有 { $size } MB，超过了 Discord 允许机器人发送的大小（{ $limit } MB）。请向服务器管理员索取副本。未发送任何内容。
privacy-erased = 已清除 { $member } 在本服务器的数据：删除了 { $jobs } 个任务的提示词和图片（{ $size } MB）。其 { $entries } 条账目记录以化名保留，因此服务器的用量总计不变。
privacy-exported = 你在本服务器的任务、提示词和账目记录（只有你能看到）。
preset-title = 你在此处的图片命令设置
preset-saved = 已保存。命令中输入的内容仍然优先；服务器规则优先于两者。
preset-shown = 你的设置（提供选项即可修改，`reset:` 用于清除）：
preset-not-set = 未设置
preset-format = 格式
preset-suffix = 后缀
preset-on = 开
preset-off = 关
preset-unknown-model = `{ $model }` 不是本机器人为 /imagine 或 /edit 提供的模型。请从列表中选择。
preset-bad-ratio = `{ $ratio }` 不是 21:9 到 9:21 之间的宽高比；请写成 16:9 的形式。
preset-suffix-flag = 后缀不能包含 `--{ $flag }`；请在命令中直接提供（或使用对应的单独设置）。
preset-note-model = （本服务器不允许或未提供：将使用服务器默认模型）
preset-note-forbid = （本服务器禁止私密结果）
preset-note-force = （本服务器所有结果都私密显示）

## Why a job ended: provider errors the bot words itself

failure-reason-credit = 机器人在服务商处的账户余额不足；请告知服务器管理员。
failure-reason-auth = 服务商拒绝了机器人的密钥；请告知机器人的运营者。
failure-reason-server = 服务商出现问题，未能生成图片。
failure-reason-network = 无法连接服务商，或服务商未及时响应。
failure-reason-error = 服务商返回了错误。
failure-reason-no_provider = 此任务的服务商已不再在机器人中配置。

## Models and their limits (FLUX.2, DISABLED_MODELS)

plan-model-disabled = `{ $model }` 已在本机器人中关闭。请选择其他模型；`/models` 会列出可用模型。
catalog-unsupported-options-on = 在 { $provider } 上，{ $options } 不能与 `{ $model }` 一起使用。
catalog-too-many-images-on = `{ $model }` 在 { $provider } 上最多接受 { $count } 张参考图片；你添加了 { $attached } 张。没有扣除任何额度。
catalog-count-on = { $provider } 上为 { $count } 张
catalog-too-many-images-on-elsewhere = `{ $model }` 在 { $provider } 上最多接受 { $count } 张参考图片（{ $elsewhere }）；你添加了 { $attached } 张。没有扣除任何额度。
validation-rule = { $detail }。
validation-pixels = `width` × `height` 为 { $size }；最多允许 { $limit } MP（2048×2048）。
validation-multiple = `{ $option }` 必须是 { $step } 的倍数。
validation-multiple-between = `{ $option }` 必须是 { $step } 的倍数（介于 { $low } 和 { $high } 之间）。
validation-ratio-form = `{ $option }` 应写成 16:9 的形式。
validation-ratio-range = `{ $option }` 必须介于 21:9 和 9:21 之间。

## /help (issue 18)

help-title = fluxbot 帮助
help-intro = 用 FLUX 生成和编辑图片。可以从 `/imagine prompt:a lighthouse at dusk --ar 16:9` 开始。在下方选择页面查看命令的选项；`/models` 列出模型及其价格。
help-overview = 概览
help-commands = 命令
help-menus = 右键点击消息 → 应用
help-flags = 提示词参数
help-flags-intro = 写在提示词末尾，类似 Midjourney：`a castle --ar 16:9 --seed 42`。命令选项优先于参数；未知参数会被拒绝，并提示正确写法。
help-buttons = 图片下方的按钮
help-buttons-intro = 机器人重启后它们仍然可用。
help-example = 示例
help-required = 必填
help-no-options = 没有选项。
help-sets = 设置 `{ $option }`
help-unknown = 这里没有命令 `/{ $name }`。`/help` 会列出所有命令。
help-choices = 可选：{ $choices }
help-range = { $low } 到 { $high }
help-length = 最多 { $high } 个字符
help-type-attachment = 附件
help-type-boolean = 是/否
help-type-member = 成员
help-type-role = 身份组
help-type-channel = 频道
button-cancel = 取消
button-reroll-summary = 相同设置、新种子（带参考图时：仅限添加参考图的成员）
button-edit-summary = 弹出表单询问要修改什么；用 FLUX Kontext 编辑图片
button-vary-summary = 生成图片的变体（以它作为图片提示，使用 FLUX1.1 [pro] Ultra）
button-details-summary = 私下显示任务的全部设置
button-delete-summary = 删除图片（请求者或拥有“管理消息”权限的成员）
button-cancel-summary = 在 `/jobs` 中：取消排队中的任务；不扣除任何额度

## /models (issue 18)

models-title = 图片模型
models-intro = 本机器人在此提供的模型、各自接受的参数和价格（1 点额度 = 0.01 美元）。用 `model:` 或 `--model` 选择；`/help` 会解释各个选项。
models-none = 这里没有可用模型：机器人没有配置任何服务商。
models-label = 模型
models-commands = 命令
models-takes = 接受
models-price = 价格
models-served = 服务商
models-default = 服务器默认
models-not-allowed = 本服务器不允许
models-mock = 模拟服务商：本地生成的图片，按真实模型计费

## What a model takes and costs (/models, bot/providers/catalog.py)

takes-sides = { $low }–{ $high } 像素，{ $step } 的倍数
takes-sides-pixels = { $low }–{ $high } 像素，{ $step } 的倍数，最多 { $mp } MP
takes-width-height = 宽 × 高（{ $sides }）或宽高比
takes-references = 最多 { $count } 张参考图片
takes-reference = 一张参考图片
takes-aspect_ratio = 宽高比 21:9 到 9:21
takes-size = 尺寸 { $sizes }（由宽高比决定）
takes-image_prompt = 图片提示
takes-raw = raw（原始风格）
takes-seed = 种子
takes-prompt_upsampling = 扩写提示词
takes-disable_pup = 扩写提示词（默认开启，除非关闭）
takes-output_format = 格式 jpeg 或 png
price-per-mp = 首个百万像素 { $first } 点额度，输出或参考图每多一个百万像素 { $extra } 点
price-per-image = 每张图片 { $amount } 点额度
price-estimate = 未公布：先占用约 { $amount } 点额度，之后按服务商报告扣费
price-unpublished = 未公布：按服务商报告的金额扣费

## /settings (field names)

preset-aspect-ratio = 宽高比

## Fill and Expand (issue 18)

tools-mask-size = 蒙版尺寸为 { $mask }，但图片为 { $image }；两者必须一样大。没有扣除任何额度。
tools-mask-black = 蒙版全黑，因此不会重绘任何内容。请把要修改的区域涂成白色。没有扣除任何额度。
tools-mask-white = 蒙版全白，整张图片都会被重绘：如需新图片请用 `/imagine`，或把要保留的区域涂成黑色。没有扣除任何额度。
tools-no-transparency = 请添加 `mask`（白色为要修改的区域，黑色为保留区域），或一张要修改区域为透明的图片（PNG 或 WebP）：这张图片没有透明区域。没有扣除任何额度。
tools-all-transparent = 图片完全透明，不会保留任何内容：如需新图片请用 `/imagine`。没有扣除任何额度。
tools-too-far = 扩展这么多的话，即使原图缩小到 { $side } 像素，图片也会超过 { $limit }；请减少像素。没有扣除任何额度。
tools-zoom-or-sides = 请只提供 `--zoom` 或各边的像素（`top`、`bottom`、`left`、`right`），不要同时提供。
tools-how-far = 请说明要扩展多少：以像素为单位的 `top`、`bottom`、`left` 或 `right`，或 `--zoom 2`。
tools-zoom-needs-image = `--zoom` 用于缩小已有图片：请使用 `/expand`（或结果下方的缩小按钮）。
tools-mask-not-here = `mask` 不能与 `{ $model }` 一起使用；请用 `/fill`。
tools-needs-image = `{ $model }` 需要一张 `image`。
tools-one-image = `{ $model }` 只接受一张图片。
plan-wrong-command-fill = `{ $model }` 不能用于此命令。请使用 `/fill`。
plan-wrong-command-expand = `{ $model }` 不能用于此命令。请使用 `/expand`（或结果下方的缩小按钮）。
button-model-missing-expand = 缩小和平移需要 `{ $model }`，本机器人不提供该模型。
button-purged-expanded = 该任务的提示词和图片已不再保存（它们会在 { $days } 天后或成员数据被清除时删除），因此无法扩展。请重新运行命令。
button-zoom15 = 缩小 1.5×
button-zoom2 = 缩小 2×
button-panleft = ⬅
button-panright = ➡
button-panup = ⬆
button-pandown = ⬇
button-zoom15-summary = 扩展（BFL）：图片宽高各放大 1.5 倍，四边均匀扩展，沿用原提示词
button-zoom2-summary = 扩展（BFL）：图片宽高各放大 2 倍，四边均匀扩展，沿用原提示词
button-panleft-summary = 扩展（BFL）：在左侧增加图片一半的宽度
button-panright-summary = 扩展（BFL）：在右侧增加图片一半的宽度
button-panup-summary = 扩展（BFL）：在上方增加图片一半的高度
button-pandown-summary = 扩展（BFL）：在下方增加图片一半的高度

# 批量（issue 18 第 4 项）：一批图像的同一条消息
batch-images = 图像
batch-line-arrived = **{ $place }** ✅ { $cost }
batch-line-arrived-seed = **{ $place }** ✅ 种子 `{ $seed }` · { $cost }
batch-line-charged = 已扣除 { $amount } 积分
batch-line-not-charged = 未扣费
batch-line-coming = **{ $place }** ⏳ 生成中
batch-ready-here = { $member } 你的图像已就绪。
batch-ready-private = 你的私密图像（只有你能在这里看到）：
batch-ready-dm-nowhere = 你的图像。我无法在频道中发布，所以发到这里。
button-batch = 全部重新生成
button-batch-summary = 在一批图像下方：整批重新生成（同样数量、同样设置、新的种子）
button-delete-all = 全部删除
button-numbered = { $label } { $number }
# 混合（issue 18 第 7 项）
button-remix = 混合
button-remix-summary = 打开已填入提示词的表单；新图像保留其他所有设置（模型、种子、选项），新提示词中的参数优先
button-purged-remixed = 该任务的提示词和图像已不再保存（{ $days } 天后或成员数据被清除时删除），因此无法混合。请重新运行命令。
remix-form-title = 混合：修改提示词
remix-form-label = 提示词
remix-form-not-yours = 这个混合表单属于另一位成员；请点击“混合”获取你自己的表单。
# 消息右键菜单（issue 18 第 8 项）
reference-edit-title = 用 FLUX 编辑
reference-imagine-title = 用作参考
reference-edit-label = 要改什么？
reference-imagine-label = 要用它生成什么？
reference-edit-placeholder = 例如：改成夜晚，在屋顶上加雪
reference-imagine-placeholder = 例如：这个场景的水彩画
reference-no-image = 该消息没有附带图像，因此没有可编辑或使用的内容。请右键点击带有图像（附件）的消息。未扣费。
reference-gone = 该消息（或其图像）已不存在，无法使用。未扣费。
reference-form-not-yours = 这个表单属于另一位成员；请右键点击该消息获取你自己的表单。
## Refusals of the operators' gates (/owner pause and blocks, /admin rules)
refusal-paused = 机器人已被其所有者暂停，目前不接受新任务。未扣除任何额度。
refusal-paused-reason = 机器人已被其所有者暂停，目前不接受新任务：{ $reason }。未扣除任何额度。
refusal-blocked-member = 你已被禁止使用本机器人的图像命令。未扣除任何额度。
refusal-blocked-guild = 本服务器已被禁止使用本机器人的图像命令。未扣除任何额度。
refusal-rule = 你的提示词被拒绝：它符合本服务器的规则 `{ $rule }`。未扣除任何额度。

## /admin settings audit_channel: and nsfw_safety_tolerance:
settings-audit-not-channel = 请用 #提及（或频道 id）指定审计频道，或填 `clear`。
settings-audit-not-text = <#{ $channel }> 不是本服务器的文字频道。
settings-audit-cannot-post = 我无法在 <#{ $channel }> 发言：请先在那里授予我“查看频道”和“发送消息”权限。
settings-nsfw-above-cap = 机器人的上限是 { $cap }；年龄限制频道也不能超过它。
settings-audit-field = 审计频道
settings-audit-lost = { $channel }（自 { $since } 起我无法在那里发言；{ $count } 条记录在等待）
settings-nsfw-field = 年龄限制频道中的安全容忍度

## /owner (cogs/owner.py)
owner-only = 只有机器人的所有者才能使用 `/owner`。
owner-paused = 已暂停：新任务将被拒绝；正在运行的任务会完成。使用 `/owner resume` 恢复。
owner-paused-reason = 已暂停：新任务将被拒绝，原因为“{ $reason }”；正在运行的任务会完成。使用 `/owner resume` 恢复。
owner-resumed = 已恢复：重新接受新任务。
owner-not-paused = 机器人并未暂停。
owner-bad-id = 请以 id（15 到 21 位数字）或提及的形式给出{ $kind ->
        [member] 成员
       *[guild] 服务器
    }。
owner-blocked = 已封禁{ $kind ->
        [member] 成员
       *[guild] 服务器
    } `{ $id }`：其新任务将被拒绝。正在运行的任务会完成。
owner-block-updated = { $kind ->
        [member] 成员
       *[guild] 服务器
    } `{ $id }` 已被封禁；原因已更新。
owner-unblocked = 已解除封禁{ $kind ->
        [member] 成员
       *[guild] 服务器
    } `{ $id }`。
owner-not-blocked = { $kind ->
        [member] 成员
       *[guild] 服务器
    } `{ $id }` 并未被封禁。
owner-stats-title = 最近{ $period ->
        [day] 一天
        [week] 一周
       *[month] 30 天
    }的任务
owner-stats-none = 最近{ $period ->
        [day] 一天
        [week] 一周
       *[month] 30 天
    }没有任务，也没有扣费。
owner-stats-line = { $guild } · { $provider }：{ $jobs } 个任务，{ $errors } 个错误，{ $credits } 额度
owner-paused-field = 已暂停
owner-no-guild = 无服务器（命令行）
