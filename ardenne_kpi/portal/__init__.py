"""The attractiveness portal: the public figures, the one builder behind the page Chiffres clés
and `publish` (`publication`), their charts (`public_charts`), and the static site `publish`
writes (`publish_site`: index, embeds, Frictionless data package) from its Jinja2 templates
and style sheet (`site_templates/`).
"""
