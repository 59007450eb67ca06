"""Authors, voters and commenters of existing ideas become followers, so the people told today are still told.

From now on the audience of an idea is its followers only; authoring, voting and commenting follow the idea
(ideaboard/follows.py). Plain SQL, valid on SQLite and PostgreSQL, so this never imports live code.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

FOLLOW_WHAT_YOU_TOUCHED = """
INSERT INTO follows (idea_id, user_id, created_at)
SELECT idea_id, user_id, MIN(created_at) FROM (
    SELECT id AS idea_id, author_id AS user_id, created_at FROM ideas
    UNION ALL SELECT idea_id, user_id, created_at FROM votes
    UNION ALL SELECT idea_id, author_id AS user_id, created_at FROM comments
) touched
WHERE NOT EXISTS (SELECT 1 FROM follows f WHERE f.idea_id = touched.idea_id AND f.user_id = touched.user_id)
GROUP BY idea_id, user_id
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0005_notifications_close_the_loop')]

    initial = False

    operations = [
        ops.RunSQL(FOLLOW_WHAT_YOU_TOUCHED, reverse_sql=ops.RunSQL.noop),
    ]
