


-- undo --
