-- fluxbot schema: reference images are kept in files beside the database, not in rows.
-- A row written from now on names its file in `file` (in the `inputs` folder next to the
-- database: `<job id>.<index>.b64`, the base64 text the provider receives) and keeps an empty
-- `data`. An 11 MB blob went through the WAL, a checkpoint and a read back through its overflow
-- pages, with the GIL held while it was copied in and out (bot/store/files.py). Rows already
-- stored keep their data where it is and are read as before.
ALTER TABLE job_inputs ADD COLUMN file TEXT;
