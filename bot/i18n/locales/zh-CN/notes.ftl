# fluxbot：随任务以键和参数保存的说明，简体中文。键和规则见 en-US/notes.ftl。

## 任务为何没有生成图片
failure-reason-moderated = 服务商的安全过滤器拒绝了提示词、输入图片或它生成的图片。
failure-reason-provider_failed = 服务商无法生成图片；它的回复是：“{ $said }”。
failure-reason-provider_failed_silent = 服务商无法生成图片，也没有说明原因。
failure-reason-input = 服务商拒绝了此请求的选项或提示词。
failure-reason-input_said = 服务商拒绝了请求：“{ $said }”。
failure-reason-retired = { $provider } 已不再提供此模型。
failure-reason-cancelled = 任务在服务商生成任何内容之前已被取消。
failure-reason-undeliverable = 机器人既无法在此发布图片，也无法发送给你。
failure-reason-image_lost = 生成好的图片在发布前丢失了。

## Expand：先对原图做了什么
tools-scaled-down = 图片先从 { $before } 缩小到 { $after }：若以原尺寸扩展，将超过 Expand 的上限 { $limit }（{ $megapixels } MP）。
