//go:build !noasm && !purego

#include "textflag.h"
#include "exp_amd64.h"

// Register use of both loops: Y15 = 1/ln2, Y14 = 1.5·2^52, Y13 = ln2Hi,
// Y12 = ln2Lo, Y9 = 1.0, Y8 = the exponent bias; Y0–Y7 are scratch.

// EXP_FAST sets Y4 = exp(Y0) for |Y0| ≤ 708 in every lane, clobbering
// Y0–Y2. It is expFast of exp.go, lane by lane.
#define EXP_FAST \
	VMOVAPD      Y14, Y1;      \
	VFMADD231PD  Y15, Y0, Y1;  \
	VSUBPD       Y14, Y1, Y2;  \
	VFNMADD231PD Y13, Y2, Y0;  \
	VFNMADD231PD Y12, Y2, Y0;  \
	EXP_POLY(Y0, Y4, Y9);      \
	VPSLLQ       $52, Y1, Y1;  \
	VPADDQ       Y8, Y1, Y1;   \
	VMULPD       Y1, Y4, Y4

// EXP_SLOW sets Y4 = exp(Y0) for any lanes, clobbering Y1–Y7. The argument
// is clamped to [−746, 710], which keeps k within [−1076, 1024] while
// still giving 0 and +Inf beyond the finite range, and 2^k is applied as
// 2^k1·2^k2 with k1 = round(k/2): both factors are normal numbers, and the
// second product rounds a subnormal result only once. NaN lanes return the
// argument.
#define EXP_SLOW \
	VMAXPD       EXPC_CLAMPLO, Y0, Y1; \
	VMINPD       EXPC_CLAMPHI, Y1, Y1; \
	VMOVAPD      Y14, Y2;              \
	VFMADD231PD  Y15, Y1, Y2;          \
	VSUBPD       Y14, Y2, Y3;          \
	VFNMADD231PD Y13, Y3, Y1;          \
	VFNMADD231PD Y12, Y3, Y1;          \
	EXP_POLY(Y1, Y4, Y9);              \
	VMOVAPD      Y14, Y5;              \
	VFMADD231PD  EXPC_HALF, Y3, Y5;    \
	VSUBPD       Y14, Y5, Y6;          \
	VSUBPD       Y6, Y3, Y6;           \
	VADDPD       Y14, Y6, Y6;          \
	VPSLLQ       $52, Y5, Y5;          \
	VPADDQ       Y8, Y5, Y5;           \
	VPSLLQ       $52, Y6, Y6;          \
	VPADDQ       Y8, Y6, Y6;           \
	VMULPD       Y5, Y4, Y4;           \
	VMULPD       Y6, Y4, Y4;           \
	VCMPPD       $3, Y0, Y0, Y7;       \
	VBLENDVPD    Y7, Y0, Y4, Y4

// EXP_NEEDS_SLOW sets the flags for JNZ to branch when a lane of Y0 is NaN
// or has |x| > 708.
#define EXP_NEEDS_SLOW \
	VANDPD    EXPC_ABSMASK, Y0, Y1;       \
	VCMPPD    $0x16, EXPC_FASTLIMIT, Y1, Y1; \
	VMOVMSKPD Y1, AX;                     \
	TESTL     AX, AX

#define EXP_LOAD_CONSTANTS \
	VMOVUPD EXPC_INVLN2, Y15; \
	VMOVUPD EXPC_SHIFT, Y14;  \
	VMOVUPD EXPC_LN2HI, Y13;  \
	VMOVUPD EXPC_LN2LO, Y12;  \
	VMOVUPD EXPC_ONE, Y9;     \
	VMOVUPD EXPC_BIAS, Y8

// func expAVX2(dst, src *float64, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   done
	EXP_LOAD_CONSTANTS

loop:
	VMOVUPD (SI), Y0
	EXP_NEEDS_SLOW
	JNZ     slow
	EXP_FAST

store:
	VMOVUPD Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

slow:
	EXP_SLOW
	JMP store

// func expShiftSumAVX2(s *float64, n int, shift float64, lanes *[4]float64)
TEXT ·expShiftSumAVX2(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSD shift+16(FP), Y10
	MOVQ         lanes+24(FP), DX
	VMOVUPD      (DX), Y11
	SHRQ         $2, CX
	JZ           done
	EXP_LOAD_CONSTANTS

loop:
	VMOVUPD (DI), Y0
	VSUBPD  Y10, Y0, Y0
	EXP_NEEDS_SLOW
	JNZ     slow
	EXP_FAST

store:
	VMOVUPD Y4, (DI)
	VADDPD  Y4, Y11, Y11
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VMOVUPD Y11, (DX)
	VZEROUPPER
	RET

slow:
	EXP_SLOW
	JMP store
