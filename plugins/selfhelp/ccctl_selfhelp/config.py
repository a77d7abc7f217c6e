"""The tenant YAML section `plugins.selfhelp`."""

from pydantic import Field, HttpUrl

from ccctl.config.model import PluginSection


class SelfhelpConfig(PluginSection):
    """Settings of the selfhelp plugin for one tenant.

    ```yaml
    plugins:
      selfhelp:
        enabled: true
        suggest_channels: [email, web]   # items on these channels get FAQ suggestions
        suggestions: 3                   # how many articles to attach
        auto_answer: false               # answer with the article on a strong, unambiguous match
        auto_answer_threshold: 0.8       # share of the article title's terms found in the request
        public_url: https://aide.example.fr/faq   # links in suggestions (default /t/<tenant>/faq)
    ```
    """

    suggest_channels: list[str] = ["email", "web"]
    suggestions: int = Field(default=3, ge=1, le=10)
    auto_answer: bool = False
    auto_answer_threshold: float = Field(default=0.8, gt=0, le=1)
    public_url: HttpUrl | None = None
