# fluxbot：运营控制命令（issue 19）的回复，简体中文。键和规则见 en-US/controls.ftl。

## /admin rules
rules-bad = 规则“{ $rule }”无法使用：{ $problem }规则可以是单词、短语，或带 `*` 通配符的单词。
rule-problem-too-long = 它超过了 { $count } 个字符。
rule-problem-no-word = 它至少需要一个字母或数字（只有通配符会拒绝一切）。
rule-problem-too-many-words = 它超过了 { $count } 个词。
rules-too-many = 本服务器已有 { $count } 条规则，已达上限；请先删除一条。
rules-added = 已添加规则 `{ $rule }`：与之匹配的提示词以及 Remix 和 Edit 指令都会被拒绝。
rules-exists = 规则 `{ $rule }` 已存在。
rules-removed = 已删除规则 `{ $rule }`。
rules-unknown = 本服务器没有规则 `{ $rule }`（见 `/admin rules list`）。
rules-none = 本服务器没有提示词规则。可用 `/admin rules add` 添加。
rules-title = 本服务器的提示词规则

## /admin settings nsfw_safety_tolerance:
settings-nsfw-invalid = `nsfw_safety_tolerance` 是 0 到 { $cap } 之间的等级，或 `clear`（此时年龄限制频道与其他频道使用相同上限）。

## /owner blocks
owner-blocks-title = 被封禁的成员和服务器：{ $count }
owner-blocks-none = 没有成员或服务器被封禁。
owner-blocks-line = { $kind ->
        [member] 成员
       *[guild] 服务器
    } { $target } · “{ $reason }” · 由 { $by } 封禁，{ $when }
owner-blocks-line-no-reason = { $kind ->
        [member] 成员
       *[guild] 服务器
    } { $target } · 未说明原因 · 由 { $by } 封禁，{ $when }
owner-blocks-more = ……另有 { $count } 条较早的未列出。
owner-blocks-page = 第 { $page } 页

## /admin privacy erase：审计频道中的记录
