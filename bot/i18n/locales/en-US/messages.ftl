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

## Reference images (bot/images.py, bot/discord/options.py)

input-not-downloaded = `{ $option }` could not be downloaded from Discord; please attach it again.
input-too-large = `{ $option }` is { $size } MB; reference images can be at most 20 MB.
input-not-an-image = `{ $option }` is a { $kind } file, not an image; attach { $accepted }.
input-empty = `{ $option }` is empty.
input-wrong-format = `{ $option }` is a { $kind } file; use { $accepted }.
input-animated = `{ $option }` is animated; use a still image ({ $accepted }).
input-too-many-pixels = `{ $option }` has far too many pixels to be a reference image.
input-heif-unreadable = `{ $option }` is a HEIC/HEIF photo, which this bot cannot read; save it as JPEG or PNG.
input-unreadable = `{ $option }` is not a readable image ({ $accepted }).

## Flags in the prompt (bot/flags.py)

flags-after = `{ $token }` comes after the flags; put the whole prompt before the first `--` flag.
flags-unknown = Unknown flag `--{ $flag }`. Known flags: { $known }.
flags-needs-value = `--{ $flag }` needs a value, e.g. { $example }.
flags-invalid = `--{ $flag } { $value }` is not valid; write it like { $example }.
plan-count-imagine-only = `count` (a batch of images) works with `/imagine` only.

## What a model takes (bot/providers/catalog.py)

catalog-unknown-model = Unknown model `{ $model }`. Available: { $known }.
catalog-unsupported-options = { $options } cannot be used with `{ $model }`.
catalog-strength-needs-image = `image_strength` needs an `image` to remix with `{ $model }`.
catalog-too-many-images = `{ $model }` takes at most { $count } reference images; you attached { $attached }. Nothing was charged.
catalog-no-image = `{ $model }` does not take a reference image.
catalog-one-image = `{ $model }` takes one reference image; use `/edit` for up to four.
catalog-ratio-form = `aspect_ratio` '{ $ratio }' must look like 16:9.
catalog-sized-by-ratio = `{ $model }` is sized by `aspect_ratio` (21:9 to 9:21); give that, or both `width` and `height`.
catalog-ratio-or-sides = Give either `aspect_ratio` or `width` and `height`, not all three.
catalog-fixed-sizes = `{ $model }` comes in fixed sizes ({ $sizes }); use `aspect_ratio` instead.
catalog-ratio-impossible = `aspect_ratio` { $ratio } cannot be made from sides of { $low }–{ $high } pixels.
validation-between = `{ $option }` must be between { $low } and { $high }.
validation-between-step = `{ $option }` must be between { $low } and { $high } and a multiple of { $step }.
validation-empty = `{ $option }` cannot be empty.
validation-too-long = `{ $option }` is too long (at most { $limit } characters).
validation-one-of = `{ $option }` must be one of { $expected }.
validation-required = `{ $option }` is required.
validation-number = `{ $option }` must be a number.
validation-number-between = `{ $option }` must be a number between { $low } and { $high }.
validation-other = `{ $option }` { $detail }.
validation-other-between = `{ $option }` { $detail } (between { $low } and { $high }).
validation-lines = { $lines }

## Private results, restarts, /privacy, /settings

private-forbidden-here = This server does not allow private results; leave `private` off (or run the command elsewhere). Nothing was charged.
reply-restarting = The bot is restarting — try again in a moment.
privacy-export-too-large = Your data here is { $size } MB even compressed, more than Discord lets the bot send ({ $limit } MB). Ask the server's admins for a copy. Nothing was sent.
privacy-erased = Erased the data of { $member } in this server: the prompts and images of { $jobs } job(s) deleted ({ $size } MB). Their { $entries } ledger entries are kept under a pseudonym, so the server's usage totals are unchanged.
privacy-exported = Your jobs, prompts and ledger entries in this server (only you can see this).
preset-title = Your settings for image commands here
preset-saved = Saved. What you type in a command still wins over these; the server's rules win over both.
preset-shown = Your settings (give options to change them, `reset:` to clear):
preset-not-set = not set
preset-format = Format
preset-suffix = Suffix
preset-on = on
preset-off = off
preset-unknown-model = `{ $model }` is not a model this bot offers for /imagine or /edit. Pick one from the list.
preset-bad-ratio = `{ $ratio }` is not an aspect ratio from 21:9 to 9:21; write it like 16:9.
preset-suffix-flag = The suffix cannot carry `--{ $flag }`; give it in the command itself (or its own setting).
preset-note-model = (not allowed on this server or not offered: the server's default is used)
preset-note-forbid = (this server forbids private results)
preset-note-force = (this server shows every result privately)

## Why a job ended: provider errors the bot words itself

failure-reason-credit = The bot's account at the provider is out of credit; please tell the server's admins.
failure-reason-auth = The bot's key was refused by the provider; please tell the bot's operator.
failure-reason-server = The provider had a problem on its side and did not make the image.
failure-reason-network = The provider could not be reached or did not answer in time.
failure-reason-error = The provider answered with an error.
failure-reason-no_provider = This job's provider is no longer configured on the bot.

## Models and their limits (FLUX.2, DISABLED_MODELS)

plan-model-disabled = `{ $model }` is switched off on this bot. Pick another model; `/models` lists them.
catalog-unsupported-options-on = { $options } cannot be used with `{ $model }` on { $provider }.
catalog-too-many-images-on = `{ $model }` takes at most { $count } reference images on { $provider }; you attached { $attached }. Nothing was charged.
catalog-count-on = { $count } on { $provider }
catalog-too-many-images-on-elsewhere = `{ $model }` takes at most { $count } reference images on { $provider } ({ $elsewhere }); you attached { $attached }. Nothing was charged.
validation-rule = { $detail }.
validation-pixels = `width` × `height` is { $size }; at most { $limit } MP (2048×2048) is allowed.
validation-multiple = `{ $option }` must be a multiple of { $step }.
validation-multiple-between = `{ $option }` must be a multiple of { $step } (between { $low } and { $high }).
validation-ratio-form = `{ $option }` must look like 16:9.
validation-ratio-range = `{ $option }` must be between 21:9 and 9:21.

## /help (issue 18)

help-title = fluxbot help
help-intro = Make and edit images with FLUX. Start with `/imagine prompt:a lighthouse at dusk --ar 16:9`. Pick a page below for a command's options; `/models` lists the models and their prices.
help-overview = Overview
help-commands = Commands
help-menus = Right-click a message → Apps
help-flags = Prompt flags
help-flags-intro = Typed at the end of the prompt, Midjourney-style: `a castle --ar 16:9 --seed 42`. A slash option wins over a flag; an unknown flag is refused with how to write it.
help-buttons = Buttons under an image
help-buttons-intro = They keep working after the bot restarts.
help-example = Example
help-required = required
help-no-options = No options.
help-sets = sets `{ $option }`
help-unknown = There is no command `/{ $name }` here. `/help` lists them.
help-choices = one of: { $choices }
help-range = { $low } to { $high }
help-length = up to { $high } characters
help-type-attachment = attachment
help-type-boolean = True/False
help-type-member = member
help-type-role = role
help-type-channel = channel
button-cancel = Cancel
button-reroll-summary = the same settings with a new seed (with reference images: only the member who attached them)
button-edit-summary = a form asks what to change; the image is edited with FLUX Kontext
button-vary-summary = a variation of the image (FLUX1.1 [pro] Ultra with it as image prompt)
button-details-summary = every setting of the job, privately
button-delete-summary = removes the image (the requester, or members with Manage Messages)
button-cancel-summary = in `/jobs`: cancels a queued job; nothing is charged

## /models (issue 18)

models-title = Image models
models-intro = The models this bot offers here, what each takes and what it costs (1 credit = $0.01). Pick one with `model:` or `--model`; `/help` explains the options.
models-none = No models are offered here: the bot has no provider configured.
models-label = Models
models-commands = Commands
models-takes = Takes
models-price = Price
models-served = Served by
models-default = the server's default
models-not-allowed = not allowed on this server
models-mock = the mock provider: a local picture, charged as the real model would be

## What a model takes and costs (/models, bot/providers/catalog.py)

takes-sides = { $low }–{ $high } px, multiples of { $step }
takes-sides-pixels = { $low }–{ $high } px, multiples of { $step }, at most { $mp } MP
takes-width-height = width × height ({ $sides }) or a ratio
takes-references = up to { $count } reference images
takes-reference = a reference image
takes-aspect_ratio = aspect ratio 21:9 to 9:21
takes-size = sizes { $sizes } (from a ratio)
takes-image_prompt = an image prompt
takes-raw = raw
takes-seed = seed
takes-prompt_upsampling = upsample
takes-disable_pup = upsample (on unless switched off)
takes-output_format = format jpeg or png
price-per-mp = { $first } credits for the first megapixel, { $extra } per further megapixel of output or reference
price-per-image = { $amount } credits per image
price-estimate = not published: about { $amount } credits held, then what the provider reports
price-unpublished = not published: charged what the provider reports

## /settings (field names)

preset-aspect-ratio = Aspect ratio

## Fill and Expand (issue 18)

tools-mask-size = The mask is { $mask } but the image is { $image }; they must be the same size. Nothing was charged.
tools-mask-black = The mask is all black, so nothing would be repainted. Paint the area to change white. Nothing was charged.
tools-mask-white = The mask is all white, so the whole image would be repainted: use `/imagine` for a new image, or paint the area to keep black. Nothing was charged.
tools-no-transparency = Attach a `mask` (white where the image should change, black where it stays), or an image whose area to change is transparent (PNG or WebP): this one has no transparency. Nothing was charged.
tools-all-transparent = The image is transparent all over, so nothing of it would be kept: use `/imagine` for a new image. Nothing was charged.
tools-too-far = Expanded that far, the image would pass { $limit } even from a source scaled down to { $side } pixels; ask for fewer pixels. Nothing was charged.
tools-zoom-or-sides = Give either `--zoom` or the sides in pixels (`top`, `bottom`, `left`, `right`), not both.
tools-how-far = Say how far to expand: `top`, `bottom`, `left` or `right` in pixels, or `--zoom 2`.
tools-zoom-needs-image = `--zoom` zooms out of an existing image: use `/expand` (or a result's Zoom out buttons).
tools-mask-not-here = `mask` cannot be used with `{ $model }`; use `/fill`.
tools-needs-image = `{ $model }` needs an `image`.
tools-one-image = `{ $model }` takes one image.
plan-wrong-command-fill = `{ $model }` cannot be used with this command. Use `/fill` for it.
plan-wrong-command-expand = `{ $model }` cannot be used with this command. Use `/expand` (or a result's Zoom out buttons) for it.
button-model-missing-expand = Zoom and pan need `{ $model }`, which this bot does not offer.
button-purged-expanded = The prompt and images of that job are no longer kept (they are deleted after { $days } days, or when a member's data is erased), so it cannot be expanded. Run the command again.
button-zoom15 = Zoom out 1.5×
button-zoom2 = Zoom out 2×
button-panleft = ⬅
button-panright = ➡
button-panup = ⬆
button-pandown = ⬇
button-zoom15-summary = Expand (BFL): the image 1.5 times as wide and high, equal on all sides, with its prompt
button-zoom2-summary = Expand (BFL): the image twice as wide and high, equal on all sides, with its prompt
button-panleft-summary = Expand (BFL): half the image's width added on the left
button-panright-summary = Expand (BFL): half the image's width added on the right
button-panup-summary = Expand (BFL): half the image's height added on top
button-pandown-summary = Expand (BFL): half the image's height added below

# Batches (issue 18 item 4): a batch's one message
batch-images = Images
batch-line-arrived = **{ $place }** ✅ { $cost }
batch-line-arrived-seed = **{ $place }** ✅ seed `{ $seed }` · { $cost }
batch-line-charged = charged { $amount } credits
batch-line-not-charged = nothing charged
batch-line-coming = **{ $place }** ⏳ on its way
batch-ready-here = { $member } your images are ready.
batch-ready-private = Your private images (only you can see them here):
batch-ready-dm-nowhere = Your images. I could not post them in the channel, so here they are.
button-batch = Reroll all
button-batch-summary = under a batch: the whole batch again (as many images, the same settings, new seeds)
button-delete-all = Delete all
button-numbered = { $label } { $number }
# Remix (issue 18 item 7)
button-remix = Remix
button-remix-summary = a form with the prompt filled in; the new image keeps every other setting (model, seed, options), and flags in the new prompt win
button-purged-remixed = The prompt and images of that job are no longer kept (they are deleted after { $days } days, or when a member's data is erased), so it cannot be remixed. Run the command again.
remix-form-title = Remix: change the prompt
remix-form-label = Prompt
remix-form-not-yours = That remix form belongs to another member; press Remix to get your own.
# Message context menus (issue 18 item 8)
reference-edit-title = Edit with FLUX
reference-imagine-title = Use as reference
reference-edit-label = What should change?
reference-imagine-label = What should be made from it?
reference-edit-placeholder = e.g. make it night, add snow on the roofs
reference-imagine-placeholder = e.g. a watercolour of this scene
reference-no-image = That message has no image attached, so there is nothing to edit or use. Right-click a message with an image (an attachment). Nothing was charged.
reference-gone = That message (or its image) is no longer there, so it cannot be used. Nothing was charged.
reference-form-not-yours = That form belongs to another member; right-click the message to get your own.
## Refusals of the operators' gates (/owner pause and blocks, /admin rules)
refusal-paused = The bot is paused by its owner, so it takes no new jobs for now. Nothing was charged.
refusal-paused-reason = The bot is paused by its owner, so it takes no new jobs for now: { $reason }. Nothing was charged.
refusal-blocked-member = You are blocked from using this bot's image commands. Nothing was charged.
refusal-blocked-guild = This server is blocked from using this bot's image commands. Nothing was charged.
refusal-rule = Your prompt was refused: it matches this server's rule `{ $rule }`. Nothing was charged.

## /admin settings audit_channel: and nsfw_safety_tolerance:
settings-audit-not-channel = Name the audit channel as a #mention (or its id), or `clear`.
settings-audit-not-text = <#{ $channel }> is not a text channel of this server.
settings-audit-cannot-post = I cannot post in <#{ $channel }>: give me View Channel and Send Messages there first.
settings-nsfw-above-cap = The bot's cap is { $cap }; age-restricted channels may not go above it either.
settings-audit-field = Audit channel
settings-audit-lost = { $channel } (I cannot post there since { $since }; { $count ->
        [one] { $count } line waiting
       *[other] { $count } lines waiting
    })
settings-nsfw-field = Safety tolerance in age-restricted channels

## /owner (cogs/owner.py)
owner-only = Only the bot's owners can use `/owner`.
owner-paused = Paused: new jobs are refused; jobs already running finish. `/owner resume` ends it.
owner-paused-reason = Paused: new jobs are refused with “{ $reason }”; jobs already running finish. `/owner resume` ends it.
owner-resumed = Resumed: new jobs are accepted again.
owner-not-paused = The bot was not paused.
owner-bad-id = Give the { $kind ->
        [member] member
       *[guild] guild
    } as an id (15 to 21 digits) or a mention.
owner-blocked = Blocked { $kind ->
        [member] member
       *[guild] guild
    } `{ $id }`: their new jobs are refused. Jobs already running finish.
owner-block-updated = { $kind ->
        [member] Member
       *[guild] Guild
    } `{ $id }` was blocked already; the reason is updated.
owner-unblocked = Unblocked { $kind ->
        [member] member
       *[guild] guild
    } `{ $id }`.
owner-not-blocked = { $kind ->
        [member] Member
       *[guild] Guild
    } `{ $id }` was not blocked.
owner-stats-title = Jobs in the last { $period ->
        [day] day
        [week] week
       *[month] 30 days
    }
owner-stats-none = No jobs and no charges in the last { $period ->
        [day] day
        [week] week
       *[month] 30 days
    }.
owner-stats-line = { $guild } · { $provider }: { $jobs ->
        [one] { $jobs } job
       *[other] { $jobs } jobs
    }, { $errors ->
        [one] { $errors } error
       *[other] { $errors } errors
    }, { $credits } credits
owner-paused-field = Paused
owner-no-guild = no server (command line)
