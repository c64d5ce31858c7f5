//go:build !noasm && !purego

#include "textflag.h"
#include "exp_amd64.h"

// A group (of tilts or components) is [5][4]float64, 160 bytes; a row of S
// is G vectors of 32 bytes.

// func partLogitsAVX2(tilts, comps, S *float64, N, G int, out *[8]float64)
//
// Tilt groups are the outer loop, so that their five rows stay in
// registers while the components stream by as memory operands; two
// components per step give the maximum two independent dependency chains.
TEXT ·partLogitsAVX2(SB), NOSPLIT, $0-48
	MOVQ tilts+0(FP), BX
	MOVQ comps+8(FP), R10
	MOVQ S+16(FP), R11
	MOVQ N+24(FP), R8
	MOVQ G+32(FP), R9
	MOVQ out+40(FP), DX

	// R12: the byte stride of S between components.
	MOVQ R9, R12
	SHLQ $5, R12

	VMOVUPD EXPC_NEGINF, Y14
	VMOVUPD Y14, Y15
	VXORPD  Y12, Y12, Y12
	VXORPD  Y13, Y13, Y13

gloop:
	VMOVUPD 0(BX), Y0
	VMOVUPD 32(BX), Y1
	VMOVUPD 64(BX), Y2
	VMOVUPD 96(BX), Y3
	VMOVUPD 128(BX), Y4
	MOVQ    R10, SI
	MOVQ    R11, AX
	MOVQ    R8, CX
	CMPQ    CX, $2
	JLT     ntail

nloop:
	VADDPD      0(SI), Y0, Y5
	VFMADD231PD 32(SI), Y1, Y5
	VFMADD231PD 64(SI), Y2, Y5
	VFMADD231PD 96(SI), Y3, Y5
	VFMADD231PD 128(SI), Y4, Y5
	VADDPD      160(SI), Y0, Y6
	VFMADD231PD 192(SI), Y1, Y6
	VFMADD231PD 224(SI), Y2, Y6
	VFMADD231PD 256(SI), Y3, Y6
	VFMADD231PD 288(SI), Y4, Y6
	VMOVUPD     Y5, (AX)
	VMOVUPD     Y6, (AX)(R12*1)
	VMAXPD      Y5, Y14, Y14
	VMAXPD      Y6, Y15, Y15
	VCMPPD      $3, Y5, Y5, Y7
	VORPD       Y7, Y12, Y12
	VCMPPD      $3, Y6, Y6, Y8
	VORPD       Y8, Y13, Y13
	ADDQ        $320, SI
	LEAQ        (AX)(R12*2), AX
	SUBQ        $2, CX
	CMPQ        CX, $2
	JGE         nloop

ntail:
	TESTQ       CX, CX
	JZ          gnext
	VADDPD      0(SI), Y0, Y5
	VFMADD231PD 32(SI), Y1, Y5
	VFMADD231PD 64(SI), Y2, Y5
	VFMADD231PD 96(SI), Y3, Y5
	VFMADD231PD 128(SI), Y4, Y5
	VMOVUPD     Y5, (AX)
	VMAXPD      Y5, Y14, Y14
	VCMPPD      $3, Y5, Y5, Y7
	VORPD       Y7, Y12, Y12

gnext:
	ADDQ $160, BX
	ADDQ $32, R11
	DECQ R9
	JNZ  gloop

	VMAXPD  Y15, Y14, Y14
	VORPD   Y13, Y12, Y12
	VMOVUPD Y14, 0(DX)
	VMOVUPD Y12, 32(DX)
	VZEROUPPER
	RET

// func partExpSumsAVX2(tilts, comps, S, sums, cols *float64, N, G int, mx float64)
//
// Two passes: along each component's row, the exponentials (stored back
// into S) and the five per-component sums; then along n, the per-tilt sums
// for two tilt groups at a time, which gives each accumulator's
// fused multiply-add chain room for the latency of the previous step.
TEXT ·partExpSumsAVX2(SB), NOSPLIT, $0-64
	MOVQ         tilts+0(FP), BX
	MOVQ         comps+8(FP), R10
	MOVQ         S+16(FP), R11
	MOVQ         sums+24(FP), DX
	MOVQ         cols+32(FP), R13
	MOVQ         N+40(FP), R8
	MOVQ         G+48(FP), R9
	VBROADCASTSD mx+56(FP), Y10

	// Y15 = 1/ln2, Y14 = 1.5·2^52, Y13 = ln2Hi, Y12 = ln2Lo, Y11 = 1.0,
	// Y10 = mx, Y9 = −708; accumulators Y4–Y8, scratch Y0–Y3.
	VMOVUPD EXPC_INVLN2, Y15
	VMOVUPD EXPC_SHIFT, Y14
	VMOVUPD EXPC_LN2HI, Y13
	VMOVUPD EXPC_LN2LO, Y12
	VMOVUPD EXPC_ONE, Y11
	VMOVUPD EXPC_PARTMIN, Y9

	MOVQ R11, DI
	MOVQ R8, R14

rowloop:
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	MOVQ   BX, AX
	MOVQ   R9, CX

exploop:
	VMOVUPD      (DI), Y0
	VSUBPD       Y10, Y0, Y0
	VMAXPD       Y9, Y0, Y0
	VMOVAPD      Y14, Y1
	VFMADD231PD  Y15, Y0, Y1
	VSUBPD       Y14, Y1, Y2
	VFNMADD231PD Y13, Y2, Y0
	VFNMADD231PD Y12, Y2, Y0
	EXP_POLY(Y0, Y3, Y11)
	VPSLLQ       $52, Y1, Y1
	VPADDQ       EXPC_BIAS, Y1, Y1
	VMULPD       Y1, Y3, Y3
	VMOVUPD      Y3, (DI)
	VADDPD       Y3, Y4, Y4
	VFMADD231PD  32(AX), Y3, Y5
	VFMADD231PD  64(AX), Y3, Y6
	VFMADD231PD  96(AX), Y3, Y7
	VFMADD231PD  128(AX), Y3, Y8
	ADDQ         $32, DI
	ADDQ         $160, AX
	DECQ         CX
	JNZ          exploop

	VMOVUPD Y4, 0(DX)
	VMOVUPD Y5, 32(DX)
	VMOVUPD Y6, 64(DX)
	VMOVUPD Y7, 96(DX)
	VMOVUPD Y8, 128(DX)
	ADDQ    $160, DX
	DECQ    R14
	JNZ     rowloop

	// Per-tilt sums. R12: the byte stride of S between components.
	MOVQ R9, R12
	SHLQ $5, R12

colpair:
	CMPQ   R9, $2
	JLT    colsingle
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
	MOVQ   R10, SI
	MOVQ   R11, AX
	MOVQ   R8, CX

pairloop:
	VMOVUPD     (AX), Y10
	VMOVUPD     32(AX), Y11
	VADDPD      Y10, Y0, Y0
	VFMADD231PD 32(SI), Y10, Y1
	VFMADD231PD 64(SI), Y10, Y2
	VFMADD231PD 96(SI), Y10, Y3
	VFMADD231PD 128(SI), Y10, Y4
	VADDPD      Y11, Y5, Y5
	VFMADD231PD 32(SI), Y11, Y6
	VFMADD231PD 64(SI), Y11, Y7
	VFMADD231PD 96(SI), Y11, Y8
	VFMADD231PD 128(SI), Y11, Y9
	ADDQ        $160, SI
	ADDQ        R12, AX
	DECQ        CX
	JNZ         pairloop

	VMOVUPD Y0, 0(R13)
	VMOVUPD Y1, 32(R13)
	VMOVUPD Y2, 64(R13)
	VMOVUPD Y3, 96(R13)
	VMOVUPD Y4, 128(R13)
	VMOVUPD Y5, 160(R13)
	VMOVUPD Y6, 192(R13)
	VMOVUPD Y7, 224(R13)
	VMOVUPD Y8, 256(R13)
	VMOVUPD Y9, 288(R13)
	ADDQ    $320, R13
	ADDQ    $64, R11
	SUBQ    $2, R9
	JMP     colpair

colsingle:
	TESTQ  R9, R9
	JZ     done
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	MOVQ   R10, SI
	MOVQ   R11, AX
	MOVQ   R8, CX

singleloop:
	VMOVUPD     (AX), Y10
	VADDPD      Y10, Y0, Y0
	VFMADD231PD 32(SI), Y10, Y1
	VFMADD231PD 64(SI), Y10, Y2
	VFMADD231PD 96(SI), Y10, Y3
	VFMADD231PD 128(SI), Y10, Y4
	ADDQ        $160, SI
	ADDQ        R12, AX
	DECQ        CX
	JNZ         singleloop

	VMOVUPD Y0, 0(R13)
	VMOVUPD Y1, 32(R13)
	VMOVUPD Y2, 64(R13)
	VMOVUPD Y3, 96(R13)
	VMOVUPD Y4, 128(R13)

done:
	VZEROUPPER
	RET
