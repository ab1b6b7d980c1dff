-- ...and recreated afterwards, so they always match the schema.
CREATE VIEW IF NOT EXISTS user_post_counts AS
SELECT u.email, count(p.id) AS posts
FROM users u LEFT JOIN posts p ON p.user_id = u.id
GROUP BY u.email;
