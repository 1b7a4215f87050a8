# fluxbot: notes stored with a job as a key and arguments (jobs.error_note, the Expand job's note)
# and rendered in the job's language whenever they are shown: a late post, a DM, Details.

## Why a job ended without an image: the notes the job core stores (bot/jobs/ending.py)
failure-reason-moderated = The provider's safety filter refused the prompt, an input image or the image it made.
failure-reason-provider_failed = The provider could not make the image; it said: “{ $said }”.
failure-reason-provider_failed_silent = The provider could not make the image and gave no reason.
failure-reason-input = The provider refused this request's options or prompt.
failure-reason-input_said = The provider refused the request: “{ $said }”.
failure-reason-retired = This model is no longer offered by { $provider }.
failure-reason-cancelled = The job was cancelled before the provider made anything.
failure-reason-undeliverable = The bot could not post the image here or send it to you.
failure-reason-image_lost = The finished image was lost before it could be posted.

## Expand: what was done to the source first (bot/image_tools.py)
tools-scaled-down = The image was scaled down from { $before } to { $after } first: expanded at full size it would have passed Expand's limit of { $limit } ({ $megapixels } MP).
