-- fluxbot schema 29 on SQLite: nothing. One process reads the owners' pause and blocks, the servers'
-- prompt rules and the members' presets for every command (nothing cached on SQLite);
-- 0029_control_change_notices.postgresql.sql tells every process of a PostgreSQL store when they change.
SELECT 1;
