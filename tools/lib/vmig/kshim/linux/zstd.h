/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vmig's wire codec (drivers/vmig/wire.c) needs of the kernel's zstd
 * (include/linux/zstd.h), from libzstd: the same frame format, and the
 * kernel's static-workspace contexts, which libzstd offers in its
 * static-linking API. zstd_compress_cctx() is the kernel's: reset, the
 * parameters, the pledged size, then one ZSTD_compress2().
 */
#ifndef _LIBVMIG_KSHIM_ZSTD_H
#define _LIBVMIG_KSHIM_ZSTD_H

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define zstd_cctx ZSTD_CCtx
#define zstd_dctx ZSTD_DCtx
#define zstd_parameters ZSTD_parameters
#define zstd_compression_parameters ZSTD_compressionParameters
#define zstd_frame_header ZSTD_frameHeader

#define zstd_is_error(code) ZSTD_isError(code)
#define zstd_min_clevel() ZSTD_minCLevel()
#define zstd_max_clevel() ZSTD_maxCLevel()
#define zstd_get_frame_header(fh, src, len) ZSTD_getFrameHeader(fh, src, len)
#define zstd_find_frame_compressed_size(src, len) \
	ZSTD_findFrameCompressedSize(src, len)
#define zstd_cctx_workspace_bound(cp) ZSTD_estimateCCtxSize_usingCParams(*(cp))
#define zstd_init_cctx(ws, size) ZSTD_initStaticCCtx(ws, size)
#define zstd_dctx_workspace_bound() ZSTD_estimateDCtxSize()
#define zstd_init_dctx(ws, size) ZSTD_initStaticDCtx(ws, size)
#define zstd_decompress_dctx(dctx, dst, cap, src, len) \
	ZSTD_decompressDCtx(dctx, dst, cap, src, len)

static inline zstd_parameters zstd_get_params(int level,
					      unsigned long long size)
{
	return ZSTD_getParams(level, size, 0);
}

static inline size_t zstd_compress_cctx(zstd_cctx *cctx, void *dst,
					size_t cap, const void *src,
					size_t len, const zstd_parameters *p)
{
	const struct {
		ZSTD_cParameter param;
		int value;
	} set[] = {
		{ ZSTD_c_windowLog, p->cParams.windowLog },
		{ ZSTD_c_chainLog, p->cParams.chainLog },
		{ ZSTD_c_hashLog, p->cParams.hashLog },
		{ ZSTD_c_searchLog, p->cParams.searchLog },
		{ ZSTD_c_minMatch, p->cParams.minMatch },
		{ ZSTD_c_targetLength, p->cParams.targetLength },
		{ ZSTD_c_strategy, p->cParams.strategy },
		{ ZSTD_c_contentSizeFlag, p->fParams.contentSizeFlag },
		{ ZSTD_c_checksumFlag, p->fParams.checksumFlag },
		{ ZSTD_c_dictIDFlag, !p->fParams.noDictIDFlag },
	};
	size_t ret, i;

	ret = ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	for (i = 0; !ZSTD_isError(ret) && i < ARRAY_SIZE(set); i++)
		ret = ZSTD_CCtx_setParameter(cctx, set[i].param, set[i].value);
	if (!ZSTD_isError(ret))
		ret = ZSTD_CCtx_setPledgedSrcSize(cctx, len);
	return ZSTD_isError(ret) ? ret : ZSTD_compress2(cctx, dst, cap, src, len);
}

#endif /* _LIBVMIG_KSHIM_ZSTD_H */
