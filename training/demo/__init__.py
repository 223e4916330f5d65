"""Demo data of the training app for `manage.py seed_demo`: courses, sessions, attendance and
certifications for every demo member, then three approved emergency plans and the matching plan
launched on one severe demo incident (this app's step runs after incidents', INSTALLED_APPS order)."""

from training.demo.courses import seed_training
from training.demo.plans import seed_plans

DEMO_STEPS = [seed_training, seed_plans]
