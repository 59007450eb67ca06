"""Images on ideas and comments (ideaboard/images.py), and a comment's edit time (comments.edit_comment)."""

from enum import StrEnum

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


# The enum as it was when this migration was written (a migration never imports live code).
class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"


class Migration(migrations.Migration):
    dependencies = [('models', '0019_campaigns')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Comment',
            name='edited_at',
            field=fields.DatetimeField(null=True),
        ),
        ops.CreateModel(
            name='Image',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True,
                                                 to_field='id', related_name='images', on_delete=OnDelete.CASCADE)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', null=True, db_constraint=True,
                                                to_field='id', related_name='images', on_delete=OnDelete.CASCADE)),
                ('comment', fields.ForeignKeyField('models.Comment', source_field='comment_id', null=True,
                                                   db_constraint=True, to_field='id', related_name='images',
                                                   on_delete=OnDelete.CASCADE)),
                ('format', fields.CharEnumField(description='JPEG: jpeg\nPNG: png\nWEBP: webp\nGIF: gif',
                                                enum_type=ImageFormat, max_length=8)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'images', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'An uploaded picture on an idea or a comment, re-encoded by '
                                          'ideaboard/images.py and stored under the data dir.'},
            bases=['Model'],
        ),
    ]
