-- Point a replica at the primary, run on the replica as an administrator:
--     mariadb < deploy/mariadb/replica-setup.sql
--
-- A new primary and a new replica (both empty): run it as it is; the replica replays the
-- primary's whole binary log from its first GTID. An existing primary with data: copy it
-- first and start from the copy's GTID position instead of '':
--     mariadb-dump --all-databases --single-transaction --gtid --master-data=2 > copy.sql
-- load copy.sql on the replica, and set gtid_slave_pos to the GTID written in its header
-- (mariadb-backup does the same for large databases).
STOP SLAVE;
SET GLOBAL gtid_slave_pos = '';
CHANGE MASTER TO
    MASTER_HOST = '127.0.0.1',
    MASTER_PORT = 3306,
    MASTER_USER = 'replication',
    MASTER_PASSWORD = 'CHANGE-ME-REPLICATION-PASSWORD',
    MASTER_USE_GTID = slave_pos,
    MASTER_CONNECT_RETRY = 10;
START SLAVE;
