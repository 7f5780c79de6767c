-- The replica's lag, as the app measures it: run once on the primary, in the app's
-- database, as an administrator:  mariadb marquee < deploy/mariadb/heartbeat.sql
--
-- The primary's event scheduler (event_scheduler=ON, primary.cnf) writes its clock into
-- one row every second; replication carries the row to the replica, where the app
-- (core/db_router.py) reads it: now - ts is how far behind the replica is, whatever
-- the cause (a stopped SQL or IO thread, a slow replay, a lost primary). It needs only
-- SELECT on the replica and the app's and databases' clocks in sync (NTP).
CREATE TABLE IF NOT EXISTS marquee_replica_heartbeat (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    ts DECIMAL(16, 6) NOT NULL COMMENT 'UNIX time on the primary when written'
) ENGINE = InnoDB;

CREATE OR REPLACE EVENT marquee_replica_heartbeat
    ON SCHEDULE EVERY 1 SECOND
    COMMENT 'Replica lag heartbeat for Marquee (core/db_router.py)'
    DO REPLACE INTO marquee_replica_heartbeat (id, ts) VALUES (1, UNIX_TIMESTAMP(NOW(6)));
