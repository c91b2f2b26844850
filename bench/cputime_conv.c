/* cputime_conv.c - one gc_conv2d pass timed by CPU time (best of N), for A/B comparisons on a
 * shared, loaded machine (see cputime_gram.c). Not built by CMake. Build and run:
 *   cc -O2 -std=gnu11 -Iinclude bench/cputime_conv.c build/libgramconv.a -lm -lpthread -o /tmp/cc
 *   /tmp/cc C O HW K PAD PASS [THREADS [ALGO [REPEATS]]]     e.g. /tmp/cc 512 512 28 3 1 fwd
 * PASS fwd | bwdi | bwdw; ALGO the gc_conv_algo number (0 = auto). One thread: the thread's
 * CPU time; more: the process's (the work of all threads, not wall time). Prints ms and
 * GFLOP/s on 2*O*OH*OW*C*K*K (per thread with THREADS > 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gramconv.h"
static double now(int T){struct timespec t;clock_gettime(T>1?CLOCK_PROCESS_CPUTIME_ID:CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  if(argc<7){fputs("usage: C O HW K PAD fwd|bwdi|bwdw [threads [algo [repeats]]]\n",stderr);return 2;}
  int64_t C=atoi(argv[1]),O=atoi(argv[2]),S=atoi(argv[3]),K=atoi(argv[4]),P=atoi(argv[5]);
  const char*ps=argv[6]; int T=argc>7?atoi(argv[7]):1, algo=argc>8?atoi(argv[8]):0, it=argc>9?atoi(argv[9]):10;
  gc_conv_pass pass=strcmp(ps,"fwd")==0?GC_CONV_PASS_FORWARD:strcmp(ps,"bwdi")==0?GC_CONV_PASS_BACKWARD_INPUT:GC_CONV_PASS_BACKWARD_WEIGHT;
  gc_context*ctx; gc_context_create(&ctx); gc_context_set_threads(ctx,T);
  gc_conv2d_desc de=gc_conv2d_desc_default(); de.pad[0]=de.pad[1]=P; de.algo=(gc_conv_algo)algo;
  int64_t OS=S+2*P-K+1;
  gc_tensor x,w,y; int64_t dx[4]={1,C,S,S},dw[4]={O,C,K,K},dy[4]={1,O,OS,OS};
  gc_tensor_create(ctx,&x,GC_DTYPE_F32,4,dx); gc_tensor_create(ctx,&w,GC_DTYPE_F32,4,dw); gc_tensor_create(ctx,&y,GC_DTYPE_F32,4,dy);
  float*p=x.data; for(int64_t i=0;i<C*S*S;i++) p[i]=(float)((i*37)%101)*0.01f-0.5f;
  p=w.data; for(int64_t i=0;i<O*C*K*K;i++) p[i]=(float)((i*53)%97)*0.01f-0.5f;
  p=y.data; for(int64_t i=0;i<O*OS*OS;i++) p[i]=(float)((i*29)%89)*0.01f-0.5f;
  size_t wsb=0; if(gc_conv2d_workspace_size(ctx,&de,&x,&w,pass,&wsb)!=GC_OK){printf("ws fail: %s\n",gc_context_last_error(ctx));return 1;}
  void*ws=NULL; if(wsb&&posix_memalign(&ws,64,wsb))return 1;
  double best=1e9;
  for(int i=0;i<it;i++){double t0=now(T); gc_status st=pass==GC_CONV_PASS_FORWARD?gc_conv2d_forward(ctx,&de,&x,&w,NULL,&y,ws,wsb):
      pass==GC_CONV_PASS_BACKWARD_INPUT?gc_conv2d_backward_input(ctx,&de,&y,&w,&x,ws,wsb):gc_conv2d_backward_weight(ctx,&de,&x,&y,1.0,&w,NULL,ws,wsb);
    if(st!=GC_OK){printf("fail: %s\n",gc_context_last_error(ctx));return 1;} double t=now(T)-t0; if(t<best)best=t;}
  double fl=2.0*O*OS*OS*C*K*K;
  printf("%lld->%lld %lldx%lld @%lld %s T%d algo %d: %.3f ms %.1f GFLOP/s%s\n",(long long)C,(long long)O,(long long)K,(long long)K,(long long)S,ps,T,algo,best*1e3,fl/best*1e-9,T>1?" (per CPU-second)":"");
  return 0;}
