# fluxbot commands: English, the source language. Keys: bot/discord/translator.py.
# Names: lowercase, no spaces, at most 32 characters; descriptions at most 100.


cmd-imagine = imagine
    .description = Make an image from a prompt with a FLUX model
opt-imagine-prompt = prompt
    .description = What to draw. Flags like --ar 16:9 --seed 42 --steps 30 work too
opt-imagine-model = model
    .description = Which FLUX model (default: the server's)
opt-imagine-aspect_ratio = aspect_ratio
    .description = Shape as W:H, from 21:9 to 9:21 (e.g. 16:9)
opt-imagine-width = width
    .description = Width in px: 256-1440, multiple of 32; FLUX.2 on BFL 64-4096, multiple of 16, at most 4 MP
opt-imagine-height = height
    .description = Height in px: 256-1440, multiple of 32; FLUX.2 on BFL 64-4096, multiple of 16, at most 4 MP
opt-imagine-seed = seed
    .description = Same seed + same settings = same image
opt-imagine-steps = steps
    .description = Generation steps, 1-50 (flux-pro, flux-dev, flux-2-flex)
opt-imagine-guidance = guidance
    .description = Prompt adherence vs realism: 1.5-5 (flux-pro, flux-dev), 1.5-10 (flux-2-flex)
opt-imagine-raw = raw
    .description = Less processed, more natural look (flux-pro-1.1-ultra)
opt-imagine-image = image
    .description = An image to remix (image prompt)
opt-imagine-image_strength = image_strength
    .description = How much the image counts, 0-1 (flux-pro-1.1-ultra)
opt-imagine-upsample = upsample
    .description = Let the provider enrich the prompt (FLUX.2 pro/max: on unless set to False)
opt-imagine-format = format
    .description = Output format

cmd-edit = edit
    .description = Edit an image, or combine up to eight, with FLUX Kontext or FLUX.2
opt-edit-prompt = prompt
    .description = What to change or make, e.g. 'make it night' or 'put the cat from image 2 on the sofa'
opt-edit-image = image
    .description = The image to edit
opt-edit-image2 = image2
    .description = A second reference image (optional)
opt-edit-image3 = image3
    .description = A third reference image (optional)
opt-edit-image4 = image4
    .description = A fourth reference image (optional)
opt-edit-model = model
    .description = flux-kontext-pro (default), flux-kontext-max or a FLUX.2 model
opt-edit-aspect_ratio = aspect_ratio
    .description = Shape as W:H, from 21:9 to 9:21 (default: the image's)
opt-edit-seed = seed
    .description = Same seed + same settings = same image

cmd-finetune = finetune
    .description = Make an image with a finetuned FLUX model (BFL)
opt-finetune-prompt = prompt
    .description = What to draw (use your finetune's trigger word)
opt-finetune-finetune_id = finetune_id
    .description = The id of the finetune, as BFL gave it
opt-finetune-strength = strength
    .description = How strongly the finetune applies, 0-2 (default 1.1)
opt-finetune-width = width
    .description = Width in pixels, 256-1440, a multiple of 32
opt-finetune-height = height
    .description = Height in pixels, 256-1440, a multiple of 32
opt-finetune-seed = seed
    .description = Same seed + same settings = same image
opt-finetune-steps = steps
    .description = Generation steps, 1-50
opt-finetune-guidance = guidance
    .description = Prompt adherence vs realism, 1.5-5

cmd-quota = quota
    .description = Your image credits this period
opt-quota-member = member
    .description = Whose quota to show (Manage Server needed for others)

cmd-history = history
    .description = Your recent images: state, cost and links
opt-history-member = member
    .description = Whose history to show (Manage Server needed for others)

cmd-admin = admin
    .description = Server admin: quota and image settings
cmd-admin-quota = quota
    .description = Credit limits, grants, resets and usage
cmd-admin-quota-limit = limit
    .description = Set a credit limit per period for a member, a role or the server
opt-admin-quota-limit-scope = scope
    .description = Whose limit
opt-admin-quota-limit-amount = amount
    .description = Credits per period, 'unlimited', or 'clear' to remove this limit
opt-admin-quota-limit-member = member
    .description = The member (scope member)
opt-admin-quota-limit-role = role
    .description = The role (scope role)
opt-admin-quota-limit-period = period
    .description = Change the server's quota period (day, week or month, UTC)
cmd-admin-quota-grant = grant
    .description = One-off extra credits for this period
opt-admin-quota-grant-scope = scope
    .description = Who gets the credits
opt-admin-quota-grant-amount = amount
    .description = Credits to add for the current period
opt-admin-quota-grant-member = member
    .description = The member (scope member)
opt-admin-quota-grant-role = role
    .description = Every member with this role (scope role)
cmd-admin-quota-reset = reset
    .description = Bring usage of this period back to zero
opt-admin-quota-reset-scope = scope
    .description = Whose usage
opt-admin-quota-reset-member = member
    .description = The member (scope member)
opt-admin-quota-reset-role = role
    .description = Members with this role (scope role)
cmd-admin-quota-usage = usage
    .description = Credits used in this server, top members, with a chart
opt-admin-quota-usage-scope = scope
    .description = Whose usage (default: the whole server)
opt-admin-quota-usage-member = member
    .description = The member (scope member)
opt-admin-quota-usage-role = role
    .description = Only members with this role (scope role)
opt-admin-quota-usage-period = period
    .description = This period or the one before
cmd-admin-settings = settings
    .description = Default model, allowed models and channels, safety cap, language
opt-admin-settings-default_model = default_model
    .description = Model used when a member picks none ('clear' for the bot's default)
opt-admin-settings-allowed_models = allowed_models
    .description = Model ids separated by commas, or 'all'
opt-admin-settings-max_safety_tolerance = max_safety_tolerance
    .description = Cap on safety tolerance (may only lower the bot's)
opt-admin-settings-allowed_channels = allowed_channels
    .description = #channels where image commands work, or 'all'
opt-admin-settings-language = language
    .description = Language for members whose Discord client speaks none the bot does
cmd-admin-privacy = privacy
    .description = Members' data kept by the bot in this server
cmd-admin-privacy-erase = erase
    .description = Delete a member's prompts, images and inputs here; the ledger is pseudonymised
opt-admin-privacy-erase-member = member
    .description = The member whose data in this server is erased

cmd-privacy = privacy
    .description = Your data kept by this bot in this server

cmd-privacy-export = export
    .description = Your jobs, prompts and charges in this server, as a JSON file

cmd-jobs = jobs
    .description = Your queued and running jobs, with Cancel buttons

## Choices (by value; model ids and language names are not translated)

choice-member = member
choice-role = role
choice-default = server default (each member)
choice-guild = server budget (all members together)
choice-day = day
choice-week = week
choice-month = month
choice-current = current
choice-previous = previous
choice-clear = default (DEFAULT_LANGUAGE)

opt-imagine-private = private
    .description = Show the result only to you (a private reply, later a DM); your /settings default
opt-edit-private = private
    .description = Show the result only to you (a private reply, later a DM); your /settings default
opt-finetune-private = private
    .description = Show the result only to you (a private reply, later a DM); your /settings default
opt-admin-settings-private = private
    .description = Private results: allow (members choose), forbid, or force for everyone
cmd-settings = settings
    .description = Your own defaults for image commands (no option: show)
opt-settings-model = model
    .description = Your default model
opt-settings-aspect_ratio = aspect_ratio
    .description = Your default shape as W:H, from 21:9 to 9:21
opt-settings-format = format
    .description = Your default output format
opt-settings-private = private
    .description = Show your results only to you by default
opt-settings-suffix = suffix
    .description = Added to every prompt, flags included (e.g. 'cinematic light --ar 16:9')
opt-settings-reset = reset
    .description = Clear one setting, or all
choice-allow = allow
choice-forbid = forbid
choice-force = force
choice-all = all
choice-model = model
choice-aspect_ratio = aspect_ratio
choice-format = format
choice-private = private
choice-suffix = suffix

cmd-dashboard = dashboard
    .description = A private link to your images and quota on the web

opt-edit-image5 = image5
    .description = A fifth reference image (FLUX.2 on BFL)
opt-edit-image6 = image6
    .description = A sixth reference image (FLUX.2 on BFL)
opt-edit-image7 = image7
    .description = A seventh reference image (FLUX.2 on BFL)
opt-edit-image8 = image8
    .description = An eighth reference image (FLUX.2 on BFL)
cmd-models = models
    .description = The image models here: what each takes and its price
cmd-help = help
    .description = How to use the bot: commands, options, flags, buttons
opt-help-command = command
    .description = A command to explain (default: the overview)

cmd-fill = fill
    .description = Repaint part of an image (inpainting) with FLUX Fill
opt-fill-image = image
    .description = The image to change; its transparent area is repainted when there is no mask
opt-fill-prompt = prompt
    .description = What to paint in the masked area. Flags like --seed 42 --steps 30 work too
opt-fill-mask = mask
    .description = Same size as the image: white is repainted, black is kept
opt-fill-seed = seed
    .description = Same seed + same settings = same image
opt-fill-steps = steps
    .description = Generation steps, 15-50
opt-fill-guidance = guidance
    .description = Prompt adherence, 1.5-100
opt-fill-format = format
    .description = Output format
opt-fill-private = private
    .description = Show the result only to you (a private reply, later a DM); your /settings default
cmd-expand = expand
    .description = Extend an image beyond its borders (outpainting)
opt-expand-image = image
    .description = The image to extend
opt-expand-top = top
    .description = Pixels to add above, 0-2048
opt-expand-bottom = bottom
    .description = Pixels to add below, 0-2048
opt-expand-left = left
    .description = Pixels to add on the left, 0-2048
opt-expand-right = right
    .description = Pixels to add on the right, 0-2048
opt-expand-prompt = prompt
    .description = What the new area shows (optional). --zoom 2 instead of the sides zooms out 2x
opt-expand-seed = seed
    .description = Same seed + same settings = same image
opt-expand-format = format
    .description = Output format
opt-expand-private = private
    .description = Show the result only to you (a private reply, later a DM); your /settings default

cmd-admin-rules = rules
    .description = Words and phrases refused in prompts and instructions
cmd-admin-rules-add = add
    .description = Refuse prompts with a word, a phrase, or a pattern with *
opt-admin-rules-add-rule = rule
    .description = e.g. gore, red car, *bomb* (no regular expressions)
cmd-admin-rules-remove = remove
    .description = Stop refusing a rule's words
opt-admin-rules-remove-rule = rule
    .description = The rule, as /admin rules list shows it
cmd-admin-rules-list = list
    .description = The prompt rules of this server
opt-admin-settings-audit_channel = audit_channel
    .description = #channel where every job and admin action is logged, or 'clear'
opt-admin-settings-nsfw_safety_tolerance = nsfw_safety_tolerance
    .description = Safety tolerance in age-restricted channels (up to the bot's cap), or 'clear'

opt-imagine-count = count
    .description = How many images, 1-4, with different seeds, in one message (each charged if it arrives)
menu-edit-with-flux = Edit with FLUX
menu-use-as-reference = Use as reference

## /admin settings nsfw_safety_tolerance: its clear choice
choice-nsfw-clear = clear (as in other channels)

## /owner (cogs/owner.py): registered only in OWNER_GUILD_IDS. Its kind:guild is the server itself
## (blocked), not the quota commands' server budget, so its choices have keys of their own.
cmd-owner = owner
    .description = The bot owners' controls
cmd-owner-pause = pause
    .description = Refuse new jobs everywhere (running jobs finish)
opt-owner-pause-reason = reason
    .description = Shown to members whose new jobs are refused
cmd-owner-resume = resume
    .description = Accept new jobs again
cmd-owner-block = block
    .description = Refuse new jobs of a member or a server
opt-owner-block-kind = kind
    .description = A member or a server
opt-owner-block-target = target
    .description = Its id (or a member's mention)
opt-owner-block-reason = reason
    .description = Kept for the owners
cmd-owner-unblock = unblock
    .description = Accept a blocked member's or server's jobs again
opt-owner-unblock-kind = kind
    .description = A member or a server
opt-owner-unblock-target = target
    .description = Its id (or a member's mention)
cmd-owner-blocks = blocks
    .description = The blocked members and servers, with reason and when
cmd-owner-stats = stats
    .description = Jobs, credits and errors per server and provider
opt-owner-stats-period = period
    .description = The last day, week or 30 days
choice-owner-member = member
choice-owner-guild = guild
