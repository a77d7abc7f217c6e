"""ccctl selfhelp channel plugin (registered through the `ccctl` entry-point group).

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_config_schema(register):
    from ccctl_selfhelp.config import SelfhelpConfig

    register("selfhelp", SelfhelpConfig)
