-- A routine and a trigger as mysqldump writes them: between DELIMITER
-- lines, so the semicolons inside their bodies end no statement.
DELIMITER ;;
CREATE PROCEDURE add_post(IN who VARCHAR(255), IN what VARCHAR(200))
BEGIN
    DECLARE uid INT;
    SELECT id INTO uid FROM users WHERE email = who;
    INSERT INTO posts (user_id, title) VALUES (uid, what);
END ;;
/*!50003 CREATE*/ /*!50003 TRIGGER posts_title_trim BEFORE INSERT ON posts FOR EACH ROW BEGIN
    SET NEW.title = TRIM(NEW.title);
END */;;
DELIMITER ;
CALL add_post('ada@example.org', '  Notes on the Analytical Engine  ');
