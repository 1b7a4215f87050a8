# fluxbot, member-facing messages: English, the source language.
# Keys are <area>-<what>. A $variable must appear in every language's copy of the message
# (tests/test_i18n.py). Credits arrive formatted for the language; counts are numbers (plurals).

## Common words

credits-unlimited = unlimited
# $amount is already formatted: "12.5", "1,000".
credits-text = { $amount } credits

## Answers and refusals that any command may give (bot/discord/replies.py)

reply-apology = Something went wrong on the bot's side (reference `{ $ref }`). Nothing was charged; please try again.
reply-missing-permission = You need the { $permissions } permission to do that.
reply-server-only = This command only works in a server.
reply-not-here = You cannot use this command here.
reply-bad-value = `{ $value }` is not a valid value for this option.
reply-guild-install-only = This bot's commands work only in servers that added the bot. Nothing was done.
reply-admin-only = Only members with the Manage Server permission can do that.

## A job's reply while it moves (bot/discord/render.py)

progress-queued = ⏳ Queued
progress-queued-at = ⏳ Queued (position { $position })
progress-sending = 📨 Sending to the provider…
progress-generating = 🎨 Generating { $bar } { $elapsed }s
progress-generating-estimate = 🎨 Generating { $bar } { $elapsed }s of ~{ $typical }s
progress-generating-slow = 🎨 Generating { $bar } { $elapsed }s of ~{ $typical }s, taking longer than usual
progress-finishing = 📥 Finishing…

state-queued = queued
state-submitting = sending
state-running = generating
state-fetching = finishing
state-delivering = posting
state-delivered = delivered
state-failed = failed
state-moderated = moderated
state-timed_out = timed out
state-cancelled = cancelled
state-undeliverable = undeliverable

## The posted result and the Details view

result-model = Model
result-seed = Seed
result-size = Size
result-cost = Cost
result-time = Time
result-requested-by = Requested by
result-note = Note
result-seconds = { $seconds }s
result-ready-here = { $member } your image is ready.
result-ready-dm = Your image is ready. I could not post it in { $channel }, so here it is.
result-ready-dm-nowhere = Your image is ready. I could not post it, so here it is.

details-title = Job { $job }
details-state = State
details-provider = Provider
details-random = random
details-default = default
details-estimate = ~{ $amount } credits (estimate)
details-options = Options
details-asked = asked { $when }
details-took = took { $seconds }s
details-made-from = Made from
details-made-from-job = job `{ $job }`
details-provider-job = Provider job
details-error = Error
prompt-deleted = *(prompt deleted)*

option-aspect_ratio = aspect ratio
option-image_strength = image strength
option-output_format = format
option-safety_tolerance = safety tolerance
option-finetune_id = finetune id
option-finetune_strength = finetune strength
option-image_count = reference images

## /jobs

jobs-title = Your jobs
jobs-none = { $member }, you have no queued or running jobs.
jobs-position = { $state } (position { $position })
jobs-footer = Queued jobs can be cancelled at no cost; running ones finish.

## Why a job ended without an image

failure-failed = The image could not be made
failure-moderated = Blocked by the provider's safety filter
failure-timed_out = Timed out
failure-cancelled = Cancelled
failure-undeliverable = Could not be posted
failure-other = Failed
failure-charged = You were charged { $amount } credits: the provider billed this job.
failure-not-charged = Nothing was charged.
failure-reason-submit_unknown = The provider did not confirm the job. It was not sent again, so you cannot be charged twice.
failure-reason-timeout = The provider took too long and the job was given up.
failure-reason-not_found = The provider lost track of the job.
failure-reason-download = The finished image could not be downloaded from the provider.
failure-reason-not_an_image = The provider sent back something that is not an image, so nothing was posted.
failure-reason-unreachable = The provider could not be reached, so the job was never sent.
failure-reason-storage = The finished image could not be saved by the bot (its disk is full or not writable).
failure-reason-inputs_lost = The reference image was lost before the job was sent. Nothing was charged; run the command again with the image.
failure-reason-internal = Something went wrong inside the bot.

## Quota and queue refusals (bot/quota.py, bot/store/units.py)

quota-not-enabled = Image generation is not enabled for you on this server (your limit is 0 credits). Ask a server admin for a limit. Nothing was charged.
quota-guild-used-up = This server's image budget is used up for now: this job needs about { $estimate } credits and the server has { $left } left. It resets { $when }. Nothing was charged.
quota-member-short = Not enough quota: this job needs about { $estimate } credits and you have { $left } left of { $limit } this period ({ $used } used). Your quota resets { $when }. Nothing was charged.
quota-member-short-held = Not enough quota: this job needs about { $estimate } credits and you have { $left } left of { $limit } this period ({ $used } used, { $held } of it held by your jobs in progress). Your quota resets { $when }. Nothing was charged.
queue-full = { $waiting ->
    [one] You already have { $waiting } job queued or running. Wait for it to finish (see `/jobs`) and try again.
   *[other] You already have { $waiting } jobs queued or running. Wait for one to finish (see `/jobs`) and try again.
}

## Server rules (bot/guild_policy.py)

policy-channel = Image commands can't be used in this channel on this server. Please use { $channels }.
policy-model = `{ $model }` is not allowed on this server. Allowed models: { $allowed }.
policy-none = none

## What was asked (bot/jobs/plan.py)

plan-provider-missing = The { $provider } provider is not configured on this bot.
plan-not-offered = `{ $model }` is not offered by { $provider }.
plan-unavailable = `{ $model }` is not available on this bot (its provider is not configured).
plan-empty-prompt = The prompt is empty; describe the image you want.
plan-prompt-too-long = The prompt is { $length } characters long; the limit is { $limit }.
plan-wrong-command-generate = `{ $model }` cannot be used with this command. Use `/imagine` for it.
plan-wrong-command-edit = `{ $model }` cannot be used with this command. Use `/edit` (or `/imagine` with it).
plan-wrong-command-finetune = `{ $model }` cannot be used with this command. Use `/finetune` for it.
plan-safety-cap = `safety_tolerance` can be at most { $cap } on this server.
plan-invalid-option = Invalid option: { $detail }

## /admin settings

settings-title = Server settings for image commands
settings-default-model = Default model
settings-allowed-models = Allowed models
settings-all = all
settings-max-safety = Max safety tolerance
settings-allowed-channels = Allowed channels
settings-quota-period = Quota period
settings-language = Language
settings-bot-default = { $value } (bot default)
settings-saved = Saved.
settings-current = Current settings (give options to change them):
settings-unknown-language = `{ $language }` is not a language this bot speaks. Choose one of: { $languages }.

## Usage figures (/quota, /admin quota usage)

usage-used = Used
usage-held = Held
usage-limit = Limit
usage-budget = Budget
usage-remaining = Remaining
usage-limit-granted = { $limit } (+{ $granted } granted)

## A result made smaller to fit Discord's upload limit (bot/discord/fitting.py)

fit-reencoded = Re-encoded as { $format } because the original ({ $original }) is larger than this channel's { $limit } limit.
fit-downscaled = Downscaled from { $before } to { $after } and saved as { $format } because the original ({ $original }) is larger than this channel's { $limit } limit.
fit-format-png = an optimized PNG
fit-format-lossy = { $format } at quality { $quality }

## Buttons under a result, the Edit form, /jobs's Cancel (bot/discord/buttons.py)

button-reroll = Reroll
button-reroll-own-references = Reroll (requester's references)
button-edit = Edit
button-vary = Vary
button-details = Details
button-delete = Delete
button-cancel-numbered = Cancel { $number }
button-unknown = This button is not one the bot knows (it may be from an older version). Nothing was done.
button-unknown-form = This form is not one the bot knows (it may be from an older version). Nothing was done.
button-unknown-job = That job is not known to this bot (the button may be from another bot or forged).
button-purged-rerolled = The prompt and images of that job are no longer kept (they are deleted after { $days } days, or when a member's data is erased), so it cannot be rerolled. Run the command again.
button-purged-varied = The prompt and images of that job are no longer kept (they are deleted after { $days } days, or when a member's data is erased), so it cannot be varied. Run the command again.
button-image-gone = The image of this job is no longer available, so it cannot be used as input.
button-model-missing-edit = Editing needs `{ $model }`, which this bot does not offer.
button-model-missing-vary = Vary needs `{ $model }`, which this bot does not offer.
button-reroll-not-yours = This image was made from { $member }'s own reference images, so only they can reroll it. Vary or Edit start from the posted image instead. Nothing was charged.
button-delete-not-yours = Only the member who asked for this image, or someone with Manage Messages, can delete it.
button-delete-forbidden = The bot is not allowed to delete that message here.
button-deleted = Deleted.
edit-form-title = Edit this image
edit-form-label = What should change?
edit-form-placeholder = e.g. make it night, add snow on the roofs
edit-form-not-yours = That edit form belongs to another member; press Edit to get your own.
edit-form-empty = The form came back without its text; press the button again.
cancel-not-yours = Only the member who asked for this job can cancel it.
cancel-started = That job has already started and will finish; only queued jobs can be cancelled.
cancel-over = That job is already over ({ $state }).
cancel-just-started = That job has just started and can no longer be cancelled.
cancel-done = Cancelled **{ $prompt }**. Nothing was charged.

## /quota

quota-title = Quota for { $member }
quota-resets = Resets
quota-limit-set-by = Limit set by
quota-source-member = member
quota-source-role = role
quota-source-server-default = server default
quota-source-bot-default = bot default
quota-source-not-enforced = not enforced
quota-server-budget = Server budget
quota-server-budget-left = { $left } of { $total } credits left
quota-last-charges = Last charges
quota-footer = Period { $period } (UTC) · 1 credit = $0.01 at the provider

## /history

history-title = Image history of { $member }
history-none = No images yet.
history-page = Page { $page } of { $pages }
history-newer = ◀ Newer
history-older = Older ▶
history-image = image
history-charged = charged
history-charged-by-provider = { $amount } credits (charged by the provider)
history-held = ~{ $amount } credits held
history-nothing-charged = nothing charged

period-day = day
period-week = week
period-month = month

## /admin quota

admin-amount-invalid = The amount “{ $amount }” must be a number of credits from 0 to 1,000,000,000, with at most 6 decimals.
admin-amount-invalid-or-unlimited = The amount “{ $amount }” must be a number of credits from 0 to 1,000,000,000, with at most 6 decimals, or `unlimited`.
admin-pick-member = Pick the `member` for scope member.
admin-pick-role = Pick the `role` for scope role.
admin-target-default = every member (server default)
admin-target-guild = the server budget
admin-target-everyone-with = everyone with { $role }
admin-target-members-with = members with { $role }
admin-target-everything = the server budget and every member
admin-channels-how = Name the channels as #mentions (or ids), separated by spaces or commas; `all` clears.
admin-channel-unknown = { $channel } is not a channel of this server.
admin-models-unknown = Unknown model { $models }. Known: { $known }.
admin-models-none = No model given. Known: { $known }.
admin-limit-nothing = Give an `amount` (or `clear`), a `period`, or both.
admin-limit-removed = Removed the limit for { $target }.
admin-limit-none = { $target } had no limit of its own.
admin-limit-set = Limit for { $target }: **{ $amount }** credits per period.
admin-period-set = This server's quota period is now **{ $period }** (UTC); the next reset is { $when }. Usage counts afresh in the new period.
admin-grant-positive = Grant a positive number of credits.
admin-granted = Granted **{ $amount }** credits to { $target } for this period ({ $period }), until the reset { $when }.
admin-granted-twice = This command already granted **{ $amount }** credits to { $target } for this period ({ $period }); it arrived twice and was not granted again.
admin-reset-twice = This command already reset this period's usage for { $target }; it arrived twice and nothing more was reset.
admin-reset-guild = Reset this period's usage for { $target }. Jobs still running keep their holds.
admin-reset-done = Reset this period's usage for { $target } ({ $count } had usage). Jobs still running keep their holds.
admin-default-model-one = Give one model id as the default model.
admin-default-model-not-allowed = The default model `{ $model }` must be one of the allowed models.
admin-safety-range = `max_safety_tolerance` is between 0 and 6.
admin-safety-cap = The bot's cap is { $cap }; a server may only lower it.

## /admin quota usage and its chart (bot/charts.py)

usage-heading-guild = Image credits in { $server } · { $period }
usage-heading-of = Image credits of { $name } · { $period }
usage-members = Members with usage
usage-top = Top members
usage-top-line = { $rank }. { $name } — { $used } used
usage-top-line-held = { $rank }. { $name } — { $used } used, { $held } held
chart-empty = No usage in this period.
chart-used = used
chart-held = held by running jobs (credits)

## The database did not answer (issue 15)

reply-store-unavailable = The bot could not reach its database just now, so nothing was saved or charged. Please try again in a moment.

## Private results (issue 18)

result-ready-private = Your private image is ready (only you can see it here).
settings-private = Private results
settings-private-allow = allow (each member chooses)
settings-private-forbid = forbid (results are always posted in the channel)
settings-private-force = force (results are only ever shown to their member)
settings-private-invalid = `private` is one of allow, forbid, force.

## /dashboard (issue 20)

dashboard-not-set-up = The web dashboard is not set up on this bot (its operator has not set WEB_PUBLIC_URL).
dashboard-link = Your sign-in link for the web dashboard: { $url }
    It works once, for 10 minutes, and only for you: do not share it.
