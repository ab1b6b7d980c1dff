20240101_003_named
-- flux:   no-transaction  
VACUUM;
-- undo --
SELECT 1;
