# fluxbot: answers of the operator controls (issue 19) that left the code last: /admin rules,
# /admin settings nsfw_safety_tolerance:, /owner blocks, the erasure's audit line.

## /admin rules (cogs/admin.py) and what a rule may be (bot/prompt_rules.py)
rules-bad = The rule “{ $rule }” cannot be used: { $problem } A rule is words, a phrase, or words with `*` wildcards.
rule-problem-too-long = It is longer than { $count } characters.
rule-problem-no-word = It needs a letter or digit (wildcards alone would refuse everything).
rule-problem-too-many-words = It has more than { $count } words.
rules-too-many = This server has { $count ->
        [one] { $count } rule
       *[other] { $count } rules
    }, the most it may have; remove one first.
rules-added = Added the rule `{ $rule }`: prompts, Remix and Edit instructions that match it are refused.
rules-exists = The rule `{ $rule }` exists already.
rules-removed = Removed the rule `{ $rule }`.
rules-unknown = There is no rule `{ $rule }` on this server (see `/admin rules list`).
rules-none = This server has no prompt rules. Add one with `/admin rules add`.
rules-title = Prompt rules of this server

## /admin settings nsfw_safety_tolerance:
settings-nsfw-invalid = `nsfw_safety_tolerance` is a level from 0 to { $cap }, or `clear` (age-restricted channels then have the same cap as the others).

## /owner blocks (cogs/owner.py)
owner-blocks-title = Blocked members and servers: { $count }
owner-blocks-none = No member and no server is blocked.
owner-blocks-line = { $kind ->
        [member] Member
       *[guild] Server
    } { $target } · “{ $reason }” · by { $by }, { $when }
owner-blocks-line-no-reason = { $kind ->
        [member] Member
       *[guild] Server
    } { $target } · no reason given · by { $by }, { $when }
owner-blocks-more = … and { $count } older, not listed.
owner-blocks-page = Page { $page }

## /admin privacy erase: the line in the server's audit channel (cogs/privacy.py)
