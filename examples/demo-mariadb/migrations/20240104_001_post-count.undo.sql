DELETE FROM posts WHERE title = 'Notes on the Analytical Engine';
DROP TRIGGER posts_title_trim;
DROP PROCEDURE add_post;
