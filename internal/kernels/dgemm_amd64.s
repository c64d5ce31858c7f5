//go:build !noasm && !purego

#include "textflag.h"

// KSTEP is one rank-1 update of the 6×8 accumulator tile Y0–Y11 (row i in
// Y(2i), Y(2i+1)) from 6 packed values of A at AO(AX) and 8 of B at BO(BX).
// Two broadcast registers alternate so that the loads of the next pair of
// rows overlap the multiply-adds of the current one.
#define KSTEP(AO, BO) \
	VMOVUPD      (BO)(BX), Y12;    \
	VMOVUPD      (BO+32)(BX), Y13; \
	VBROADCASTSD (AO)(AX), Y14;    \
	VBROADCASTSD (AO+8)(AX), Y15;  \
	VFMADD231PD  Y12, Y14, Y0;     \
	VFMADD231PD  Y13, Y14, Y1;     \
	VFMADD231PD  Y12, Y15, Y2;     \
	VFMADD231PD  Y13, Y15, Y3;     \
	VBROADCASTSD (AO+16)(AX), Y14; \
	VBROADCASTSD (AO+24)(AX), Y15; \
	VFMADD231PD  Y12, Y14, Y4;     \
	VFMADD231PD  Y13, Y14, Y5;     \
	VFMADD231PD  Y12, Y15, Y6;     \
	VFMADD231PD  Y13, Y15, Y7;     \
	VBROADCASTSD (AO+32)(AX), Y14; \
	VBROADCASTSD (AO+40)(AX), Y15; \
	VFMADD231PD  Y12, Y14, Y8;     \
	VFMADD231PD  Y13, Y14, Y9;     \
	VFMADD231PD  Y12, Y15, Y10;    \
	VFMADD231PD  Y13, Y15, Y11

// The store macros write row r of the tile (registers YA, YB, already
// scaled by alpha) to the C row at DI and move DI to the next row; they
// jump to next once SI, the rows left in this tile, reaches zero. The _BETA
// forms first add beta·C (Y13 = beta); the M forms touch only the columns
// selected by the masks Y14, Y15, so that edge tiles need no scratch copy.
#define STORE_ROW_BETA(YA, YB) \
	VFMADD231PD (DI), Y13, YA;   \
	VFMADD231PD 32(DI), Y13, YB; \
	VMOVUPD     YA, (DI);        \
	VMOVUPD     YB, 32(DI);      \
	ADDQ        DX, DI;          \
	DECQ        SI;              \
	JZ          next

#define STORE_ROW(YA, YB) \
	VMOVUPD YA, (DI);   \
	VMOVUPD YB, 32(DI); \
	ADDQ    DX, DI;     \
	DECQ    SI;         \
	JZ      next

#define MSTORE_ROW_BETA(YA, YB) \
	VMASKMOVPD  (DI), Y14, Y12;   \
	VFMADD231PD Y12, Y13, YA;     \
	VMASKMOVPD  32(DI), Y15, Y12; \
	VFMADD231PD Y12, Y13, YB;     \
	VMASKMOVPD  YA, Y14, (DI);    \
	VMASKMOVPD  YB, Y15, 32(DI);  \
	ADDQ        DX, DI;           \
	DECQ        SI;               \
	JZ          next

#define MSTORE_ROW(YA, YB) \
	VMASKMOVPD YA, Y14, (DI);   \
	VMASKMOVPD YB, Y15, 32(DI); \
	ADDQ       DX, DI;          \
	DECQ       SI;              \
	JZ         next

// gemmmask<> is eight all-ones words then eight zeros: the 64 bytes from
// entry 8−cols select the first cols of 8 columns.
DATA gemmmask<>+0(SB)/8, $-1
DATA gemmmask<>+8(SB)/8, $-1
DATA gemmmask<>+16(SB)/8, $-1
DATA gemmmask<>+24(SB)/8, $-1
DATA gemmmask<>+32(SB)/8, $-1
DATA gemmmask<>+40(SB)/8, $-1
DATA gemmmask<>+48(SB)/8, $-1
DATA gemmmask<>+56(SB)/8, $-1
DATA gemmmask<>+64(SB)/8, $0
DATA gemmmask<>+72(SB)/8, $0
DATA gemmmask<>+80(SB)/8, $0
DATA gemmmask<>+88(SB)/8, $0
DATA gemmmask<>+96(SB)/8, $0
DATA gemmmask<>+104(SB)/8, $0
DATA gemmmask<>+112(SB)/8, $0
DATA gemmmask<>+120(SB)/8, $0
GLOBL gemmmask<>(SB), RODATA|NOPTR, $128

// func dgemmPanelAVX2(k int, a, b, c *float64, ldc, mc, cols int, alpha, beta float64, loadC int)
//
// The whole column of tiles for one B sliver is one call, so that the Go
// side pays its per-call costs once per sliver rather than once per tile.
// The packed A slivers are contiguous, so AX runs on from one to the next.
TEXT ·dgemmPanelAVX2(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), R9
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), R10
	MOVQ c+24(FP), R11
	MOVQ ldc+32(FP), DX
	SHLQ $3, DX
	MOVQ mc+40(FP), R12
	MOVQ cols+48(FP), R13

tileloop:
	// The C tile is needed only at the end: fetching it now hides the
	// misses behind the k loop (prefetches past the matrix do not fault).
	MOVQ       R11, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ       DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ       DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ       DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ       DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ       DX, SI
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

	MOVQ R10, BX
	MOVQ R9, CX
	MOVQ CX, R8
	ANDQ $3, R8
	SHRQ $2, CX
	JZ   tail

loop4:
	KSTEP(0, 0)
	KSTEP(48, 64)
	KSTEP(96, 128)
	KSTEP(144, 192)
	ADDQ $192, AX
	ADDQ $256, BX
	DECQ CX
	JNZ  loop4

tail:
	TESTQ R8, R8
	JZ    store

loop1:
	KSTEP(0, 0)
	ADDQ $48, AX
	ADDQ $64, BX
	DECQ R8
	JNZ  loop1

store:
	VBROADCASTSD alpha+56(FP), Y12
	VMULPD       Y12, Y0, Y0
	VMULPD       Y12, Y1, Y1
	VMULPD       Y12, Y2, Y2
	VMULPD       Y12, Y3, Y3
	VMULPD       Y12, Y4, Y4
	VMULPD       Y12, Y5, Y5
	VMULPD       Y12, Y6, Y6
	VMULPD       Y12, Y7, Y7
	VMULPD       Y12, Y8, Y8
	VMULPD       Y12, Y9, Y9
	VMULPD       Y12, Y10, Y10
	VMULPD       Y12, Y11, Y11
	VBROADCASTSD beta+64(FP), Y13
	MOVQ         R11, DI
	MOVQ         R12, SI
	CMPQ         SI, $6
	JLE          rowsok
	MOVQ         $6, SI

rowsok:
	CMPQ R13, $8
	JNE  masked
	CMPQ loadC+72(FP), $0
	JEQ  plain
	STORE_ROW_BETA(Y0, Y1)
	STORE_ROW_BETA(Y2, Y3)
	STORE_ROW_BETA(Y4, Y5)
	STORE_ROW_BETA(Y6, Y7)
	STORE_ROW_BETA(Y8, Y9)
	STORE_ROW_BETA(Y10, Y11)
	JMP  next

plain:
	STORE_ROW(Y0, Y1)
	STORE_ROW(Y2, Y3)
	STORE_ROW(Y4, Y5)
	STORE_ROW(Y6, Y7)
	STORE_ROW(Y8, Y9)
	STORE_ROW(Y10, Y11)
	JMP next

masked:
	LEAQ    gemmmask<>+64(SB), R8
	MOVQ    R13, BX
	SHLQ    $3, BX
	SUBQ    BX, R8
	VMOVUPD (R8), Y14
	VMOVUPD 32(R8), Y15
	CMPQ    loadC+72(FP), $0
	JEQ     mplain
	MSTORE_ROW_BETA(Y0, Y1)
	MSTORE_ROW_BETA(Y2, Y3)
	MSTORE_ROW_BETA(Y4, Y5)
	MSTORE_ROW_BETA(Y6, Y7)
	MSTORE_ROW_BETA(Y8, Y9)
	MSTORE_ROW_BETA(Y10, Y11)
	JMP     next

mplain:
	MSTORE_ROW(Y0, Y1)
	MSTORE_ROW(Y2, Y3)
	MSTORE_ROW(Y4, Y5)
	MSTORE_ROW(Y6, Y7)
	MSTORE_ROW(Y8, Y9)
	MSTORE_ROW(Y10, Y11)

next:
	// Six rows down C.
	LEAQ (DX)(DX*2), BX
	SHLQ $1, BX
	ADDQ BX, R11
	SUBQ $6, R12
	JGT  tileloop
	VZEROUPPER
	RET

// func packBNAVX2(dst, b *float64, ldb, kc, nsl int)
//
// Copies nsl full slivers of 8 columns from kc rows of a row-major B.
// Each source row is read once from start to end, which the hardware
// prefetcher follows; the writes go to nsl separate streams in the packed
// panel.
TEXT ·packBNAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), DX
	SHLQ $3, DX
	MOVQ kc+24(FP), CX
	MOVQ nsl+32(FP), R8
	MOVQ CX, R9
	SHLQ $6, R9
	TESTQ CX, CX
	JZ    done
	TESTQ R8, R8
	JZ    done

ploop:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R8, R10

tloop:
	VMOVUPD (AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, 32(BX)
	ADDQ    $64, AX
	ADDQ    R9, BX
	DECQ    R10
	JNZ     tloop

	ADDQ DX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  ploop

done:
	VZEROUPPER
	RET

// DOT_STEP accumulates one 4-wide step of the 4×2 dot products at byte
// offset AX; DOT_STEP_MASKED is the same with the lanes selected by Y12.
#define DOT_STEP \
	VMOVUPD     (SI)(AX*1), Y8;  \
	VMOVUPD     (DI)(AX*1), Y9;  \
	VMOVUPD     (R8)(AX*1), Y10; \
	VFMADD231PD Y8, Y10, Y0; \
	VFMADD231PD Y9, Y10, Y1; \
	VMOVUPD     (R9)(AX*1), Y11;  \
	VFMADD231PD Y8, Y11, Y2; \
	VFMADD231PD Y9, Y11, Y3; \
	VMOVUPD     (R10)(AX*1), Y10; \
	VFMADD231PD Y8, Y10, Y4; \
	VFMADD231PD Y9, Y10, Y5; \
	VMOVUPD     (R11)(AX*1), Y11; \
	VFMADD231PD Y8, Y11, Y6; \
	VFMADD231PD Y9, Y11, Y7

#define DOT_STEP_MASKED \
	VMASKMOVPD  (SI)(AX*1), Y12, Y8;  \
	VMASKMOVPD  (DI)(AX*1), Y12, Y9;  \
	VMASKMOVPD  (R8)(AX*1), Y12, Y10; \
	VFMADD231PD Y8, Y10, Y0; \
	VFMADD231PD Y9, Y10, Y1; \
	VMASKMOVPD  (R9)(AX*1), Y12, Y11;  \
	VFMADD231PD Y8, Y11, Y2; \
	VFMADD231PD Y9, Y11, Y3; \
	VMASKMOVPD  (R10)(AX*1), Y12, Y10; \
	VFMADD231PD Y8, Y10, Y4; \
	VFMADD231PD Y9, Y10, Y5; \
	VMASKMOVPD  (R11)(AX*1), Y12, Y11; \
	VFMADD231PD Y8, Y11, Y6; \
	VFMADD231PD Y9, Y11, Y7

// DOT_REDUCE stores the sums of the lanes of YA and YB to OFF(DX).
#define DOT_REDUCE(YA, YB, OFF) \
	VHADDPD      YB, YA, Y8;  \
	VEXTRACTF128 $1, Y8, X9;  \
	VADDPD       X9, X8, X8;  \
	VMOVUPD      X8, OFF(DX)

// func dot4x2AVX2(k int, x0, x1, x2, x3, y0, y1 *float64, out *[8]float64)
//
// out[2r+s] = Σ_p x_r[p]·y_s[p]: four rows of one operand against two of
// the other, both contiguous along p. The last k mod 4 steps use masked
// loads, which read nothing past the end of the rows.
TEXT ·dot4x2AVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	MOVQ y0+40(FP), SI
	MOVQ y1+48(FP), DI
	MOVQ out+56(FP), DX

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   AX, AX
	MOVQ   CX, BX
	ANDQ   $3, BX
	SHRQ   $2, CX
	JZ     tail

loop:
	DOT_STEP
	ADDQ $32, AX
	DECQ CX
	JNZ  loop

tail:
	TESTQ BX, BX
	JZ    reduce
	LEAQ  gemmmask<>+64(SB), CX
	SHLQ  $3, BX
	SUBQ  BX, CX
	VMOVUPD (CX), Y12
	DOT_STEP_MASKED

reduce:
	DOT_REDUCE(Y0, Y1, 0)
	DOT_REDUCE(Y2, Y3, 16)
	DOT_REDUCE(Y4, Y5, 32)
	DOT_REDUCE(Y6, Y7, 48)
	VZEROUPPER
	RET

// func col16x2AVX2(k int, x *float64, ldx int, y *float64, out *[32]float64)
//
// out[16s+r] = Σ_p x[p·ldx + r]·y[2p+s] for r < 16: sixteen consecutive
// entries of each row of one operand against two interleaved values of the
// other.
TEXT ·col16x2AVX2(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), DX
	SHLQ $3, DX
	MOVQ y+24(FP), DI
	MOVQ out+32(FP), R8

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ  CX, CX
	JZ     done

loop:
	VBROADCASTSD (DI), Y8
	VBROADCASTSD 8(DI), Y9
	VMOVUPD      (SI), Y10
	VFMADD231PD  Y10, Y8, Y0
	VFMADD231PD  Y10, Y9, Y4
	VMOVUPD      32(SI), Y11
	VFMADD231PD  Y11, Y8, Y1
	VFMADD231PD  Y11, Y9, Y5
	VMOVUPD      64(SI), Y10
	VFMADD231PD  Y10, Y8, Y2
	VFMADD231PD  Y10, Y9, Y6
	VMOVUPD      96(SI), Y11
	VFMADD231PD  Y11, Y8, Y3
	VFMADD231PD  Y11, Y9, Y7
	ADDQ         DX, SI
	ADDQ         $16, DI
	DECQ         CX
	JNZ          loop

done:
	VMOVUPD Y0, 0(R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, 64(R8)
	VMOVUPD Y3, 96(R8)
	VMOVUPD Y4, 128(R8)
	VMOVUPD Y5, 160(R8)
	VMOVUPD Y6, 192(R8)
	VMOVUPD Y7, 224(R8)
	VZEROUPPER
	RET

// func col4x2AVX2(k int, x *float64, ldx int, y *float64, rows int, out *[8]float64)
//
// col16x2 for the last rows ≤ 4 of the operand, with masked loads that
// read nothing past them; out[4s+r] for r < rows. Two sets of
// accumulators, for even and odd p, halve the multiply-add chains.
TEXT ·col4x2AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ ldx+16(FP), DX
	SHLQ $3, DX
	MOVQ y+24(FP), DI
	MOVQ rows+32(FP), BX
	MOVQ out+40(FP), R8

	LEAQ    gemmmask<>+64(SB), AX
	SHLQ    $3, BX
	SUBQ    BX, AX
	VMOVUPD (AX), Y12

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   CX, BX
	ANDQ   $1, BX
	SHRQ   $1, CX
	JZ     tail

loop:
	VBROADCASTSD (DI), Y8
	VBROADCASTSD 8(DI), Y9
	VMASKMOVPD   (SI), Y12, Y10
	VFMADD231PD  Y10, Y8, Y0
	VFMADD231PD  Y10, Y9, Y1
	ADDQ         DX, SI
	VBROADCASTSD 16(DI), Y8
	VBROADCASTSD 24(DI), Y9
	VMASKMOVPD   (SI), Y12, Y11
	VFMADD231PD  Y11, Y8, Y2
	VFMADD231PD  Y11, Y9, Y3
	ADDQ         DX, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          loop

tail:
	TESTQ        BX, BX
	JZ           done
	VBROADCASTSD (DI), Y8
	VBROADCASTSD 8(DI), Y9
	VMASKMOVPD   (SI), Y12, Y10
	VFMADD231PD  Y10, Y8, Y0
	VFMADD231PD  Y10, Y9, Y1

done:
	VADDPD  Y2, Y0, Y0
	VADDPD  Y3, Y1, Y1
	VMOVUPD Y0, 0(R8)
	VMOVUPD Y1, 32(R8)
	VZEROUPPER
	RET
