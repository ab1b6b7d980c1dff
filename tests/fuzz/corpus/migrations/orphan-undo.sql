x.undo
SELECT 1;
