ï»¿SELECT 1; -- BOM and ÿ invalid UTF-8
