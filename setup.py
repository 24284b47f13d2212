"""Packaging details pyproject.toml cannot express; the metadata is there.

The wheel holds every shop* package except tests, plus the project-level
templates/ directory (beside manage.py) as shop/site_templates, which
shop.settings.base uses when there is no checkout around it.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["shop*"], exclude=["shop.*.tests", "shop.*.tests.*"]),
        "shop.site_templates",
    ],
    package_dir={"shop.site_templates": "templates"},
    package_data={
        "shop.site_templates": ["**/*.html", "**/*.txt"],
        "": ["templates/**/*", "static/**/*"],
    },
)
