-- fluxbot schema 30 on PostgreSQL: every change of what an image command reads before its
-- acknowledgement (the owners' pause, their blocks, a server's prompt rules, a member's `/settings`
-- preset) is announced on the schema's guild-changes channel, by the database itself: whoever
-- writes (/owner, /admin, /settings, /privacy erase, the dashboard, an operator's psql), every
-- process hears it when the write commits (and only if it does). Each process's cache of them
-- (bot/store/operator.py `ControlsCache`, fed by bot/store/guild_changes.py) drops what changed:
-- `controls:<guild id>` for a server's rules and presets, `controls` (everything) for the rest.
CREATE OR REPLACE FUNCTION fluxbot_controls_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    guild bigint;
BEGIN
    IF TG_LEVEL = 'ROW' AND TG_TABLE_NAME IN ('member_presets', 'prompt_rules') THEN
        IF TG_OP = 'DELETE' THEN
            guild := OLD.guild_id;
        ELSE
            guild := NEW.guild_id;
        END IF;
        PERFORM pg_notify('fluxbot_guilds_' || TG_TABLE_SCHEMA, 'controls:' || guild);
        IF TG_OP = 'UPDATE' AND OLD.guild_id IS DISTINCT FROM NEW.guild_id THEN
            PERFORM pg_notify('fluxbot_guilds_' || TG_TABLE_SCHEMA, 'controls:' || OLD.guild_id);
        END IF;
    ELSE
        PERFORM pg_notify('fluxbot_guilds_' || TG_TABLE_SCHEMA, 'controls');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER member_presets_changed AFTER INSERT OR UPDATE OR DELETE ON member_presets
    FOR EACH ROW EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER prompt_rules_changed AFTER INSERT OR UPDATE OR DELETE ON prompt_rules
    FOR EACH ROW EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER owner_blocks_changed AFTER INSERT OR UPDATE OR DELETE ON owner_blocks
    FOR EACH ROW EXECUTE FUNCTION fluxbot_controls_changed();
-- bot_state holds other keys too (written often): only the pause's rows are announced.
CREATE TRIGGER owner_pause_added AFTER INSERT ON bot_state
    FOR EACH ROW WHEN (NEW.key = 'owner_pause') EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER owner_pause_changed AFTER UPDATE ON bot_state
    FOR EACH ROW WHEN (NEW.key = 'owner_pause' OR OLD.key = 'owner_pause')
    EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER owner_pause_removed AFTER DELETE ON bot_state
    FOR EACH ROW WHEN (OLD.key = 'owner_pause') EXECUTE FUNCTION fluxbot_controls_changed();
-- A TRUNCATE (no row triggers) says the same, for everything.
CREATE TRIGGER member_presets_truncated AFTER TRUNCATE ON member_presets
    FOR EACH STATEMENT EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER prompt_rules_truncated AFTER TRUNCATE ON prompt_rules
    FOR EACH STATEMENT EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER owner_blocks_truncated AFTER TRUNCATE ON owner_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION fluxbot_controls_changed();
CREATE TRIGGER bot_state_truncated AFTER TRUNCATE ON bot_state
    FOR EACH STATEMENT EXECUTE FUNCTION fluxbot_controls_changed();
