-- fluxbot schema 30 on SQLite: nothing. One process reads the owners' pause and blocks, the servers'
-- prompt rules and the members' presets for every command (nothing cached on SQLite);
-- 0030_control_change_notices.postgresql.sql tells every process of a PostgreSQL store when they change.
SELECT 1;
