"""Maps the three source folders onto one import package, ``kubetyped``."""

from setuptools import find_packages, setup

ROOTS = {"kubetyped": "runtime", "kubetyped.codegen": "codegen", "kubetyped.k8s": "generated"}

packages: list[str] = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=ROOTS)
