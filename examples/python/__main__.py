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

# Downloads that already exist, of another video, adopted with the import option (docs/importing.md): set
# importVideoId to that video's uid. Nothing is generated again, the resource is not protected, and the option may
# stay once the downloads are in the stack.
import_video = config.get("importVideoId")
if import_video:
    cloudflare_stream.StreamDownload(
        "adopted",
        account_id=config.require("accountId"),
        identifier=import_video,
        download_types=[cloudflare_stream.DownloadType.DEFAULT, cloudflare_stream.DownloadType.AUDIO],
        opts=pulumi.ResourceOptions(provider=stream, import_=f"{config.require('accountId')}/{import_video}"),
    )

pulumi.export("id", talk.id)
pulumi.export("mp4", talk.default.apply(lambda d: d.url if d else None))
pulumi.export("mp4Status", talk.default.apply(lambda d: d.status if d else None))
pulumi.export("m4a", talk.audio.apply(lambda d: d.url if d else None))
pulumi.export("m4aStatus", talk.audio.apply(lambda d: d.status if d else None))
