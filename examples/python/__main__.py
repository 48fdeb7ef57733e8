"""Downloads (MP4 and M4A) of one Cloudflare Stream video, through an explicit cloudflare-stream provider."""

import pulumi
import pulumi_cloudflare_stream as cloudflare_stream

config = pulumi.Config()

# An explicit provider with its own credentials; without one, the default provider reads the stack config
# cloudflare-stream:apiToken (and cloudflare-stream:baseUrl).
stream = cloudflare_stream.Provider(
    "stream",
    api_token=config.require_secret("apiToken"),
    base_url=config.get("baseUrl"),
)

talk = cloudflare_stream.StreamDownload(
    "talk",
    account_id=config.require("accountId"),
    identifier=config.require("videoId"),
    download_types=[cloudflare_stream.DownloadType.DEFAULT, cloudflare_stream.DownloadType.AUDIO],
    opts=pulumi.ResourceOptions(provider=stream),
)

pulumi.export("id", talk.id)
pulumi.export("mp4", talk.default.apply(lambda d: d.url if d else None))
pulumi.export("mp4Status", talk.default.apply(lambda d: d.status if d else None))
pulumi.export("m4a", talk.audio.apply(lambda d: d.url if d else None))
pulumi.export("m4aStatus", talk.audio.apply(lambda d: d.status if d else None))
