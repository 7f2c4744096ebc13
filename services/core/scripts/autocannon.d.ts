/** The part of autocannon's programmatic API the benchmark uses (autocannon ships no types). */
declare module "autocannon" {
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      method?: "GET" | "POST";
      headers?: Record<string, string>;
      body?: string;
      /** Called before each request; what it returns is sent. */
      requests?: Array<{ setupRequest?: (request: RequestParams) => RequestParams }>;
    }
    interface RequestParams {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }
    interface Histogram {
      average: number;
      mean: number;
      p50: number;
      p99: number;
      max: number;
      total: number;
    }
    interface Result {
      requests: Histogram;
      /** Milliseconds. */
      latency: Histogram;
      non2xx: number;
      errors: number;
      timeouts: number;
      "2xx": number;
    }
  }
  export = autocannon;
}
