// Cloudflare Stream video downloads (MP4 and M4A) that are created, waited for until ready, refreshed from their live state and deleted.
package cloudflarestream
