-- Accounts, run once on the primary as an administrator (they reach the replica by
-- replication):  mariadb < deploy/mariadb/users.sql
-- Replace the passwords and the addresses ('127.0.0.1': where the app nodes and the
-- replica connect from) first.
CREATE DATABASE IF NOT EXISTS marquee CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- The app: everything in its own database (migrations included), nothing else. On the
-- replica, read_only stops it writing.
CREATE USER IF NOT EXISTS 'marquee'@'127.0.0.1' IDENTIFIED BY 'CHANGE-ME-APP-PASSWORD';
GRANT ALL PRIVILEGES ON marquee.* TO 'marquee'@'127.0.0.1';

-- The replica's connection to the primary.
CREATE USER IF NOT EXISTS 'replication'@'127.0.0.1' IDENTIFIED BY 'CHANGE-ME-REPLICATION-PASSWORD';
GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1';
