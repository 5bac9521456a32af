from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "benchmarks.benchapp"
    label = "scim_bench"
    verbose_name = "SCIM benchmarks"
