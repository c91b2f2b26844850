/* cputime_gram.c - single-thread gc_gram_forward timed by the thread's CPU time (best of N),
 * for A/B comparisons on a shared, loaded machine where wall-clock medians swing by 2x.
 * Not built by CMake. Build against a built library and run:
 *   cc -O2 -std=gnu11 -Iinclude bench/cputime_gram.c build/libgramconv.a -lm -lpthread -o /tmp/cg
 *   /tmp/cg N C H W [repeats]      e.g. /tmp/cg 1 256 128 128 20
 * Prints GFLOP/s on C(C+1)/2*H*W*2 per item and % of 116.2 (this Zen 4's measured peak). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "gramconv.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  int64_t N=atoi(argv[1]),C=atoi(argv[2]),H=atoi(argv[3]),W=atoi(argv[4]); int it=argc>5?atoi(argv[5]):20;
  gc_context*ctx; gc_context_create(&ctx); gc_context_set_threads(ctx,1);
  gc_tensor x,g; int64_t d[4]={N,C,H,W}, e[3]={N,C,C};
  gc_tensor_create(ctx,&x,GC_DTYPE_F32,4,d); gc_tensor_create(ctx,&g,GC_DTYPE_F32,3,e);
  float*p=x.data; for(int64_t i=0;i<N*C*H*W;i++) p[i]=(float)((i*37)%101)*0.01f;
  gc_gram_desc de=gc_gram_desc_default(); double best=1e9;
  for(int i=0;i<it;i++){double t0=now(); if(gc_gram_forward(ctx,&de,&x,&g)!=GC_OK){puts("fail");return 1;} double t=now()-t0; if(t<best)best=t;}
  double fl=(double)N*C*(C+1)/2*H*W*2;
  printf("%lldx%lldx%lldx%lld: %.1f GFLOP/s (%.0f%% of 116.2)\n",(long long)N,(long long)C,(long long)H,(long long)W,fl/best*1e-9,fl/best*1e-9/116.2*100);
  return 0;}
