"""Our own tests opt in to kubetyped's pytest plugin as a user's project does.

``pytest_plugins = ["kubetyped.testing.plugin"]`` is the documented form; it is registered by
hand here only because an editable install made before the plugin became opt-in still
registers it through the old ``pytest11`` entry point, and pytest refuses a second
registration of the same module (``pip install -e .`` again clears that).
"""

from __future__ import annotations

import kubetyped.testing.plugin
import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(kubetyped.testing.plugin):
        config.pluginmanager.register(kubetyped.testing.plugin, "kubetyped.testing.plugin")
