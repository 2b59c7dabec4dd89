/**
 * An injected EIP-1193 wallet for the browser under test. The page sees `window.ethereum` (what wagmi's
 * `injected()` connector uses); every request crosses to Node through `page.exposeFunction`, where viem answers
 * it with a dev private key: accounts and chain id from here, transactions signed here and sent to the chain's
 * RPC, everything else forwarded to that RPC. The wallet can start on another chain, as a real one may, and
 * moves to the consortium's chain on `wallet_switchEthereumChain`.
 */
import type { Page } from "@playwright/test";
import { createPublicClient, createWalletClient, defineChain, hexToBigInt, http, numberToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export interface WalletOptions {
  privateKey: Hex;
  rpcUrl: string;
  chainId: number;
  /** The chain the wallet is on when the page opens (another one exercises the app's "wrong chain" prompt). */
  initialChainId?: number;
}

interface WalletRequest {
  method: string;
  params?: unknown;
}

interface ProviderError {
  code: number;
  message: string;
  data?: unknown;
}

type WalletResponse = { result: unknown } | { error: ProviderError };

export interface TestWallet {
  address: Hex;
  /** Every method the page asked for, in order (tests may assert on what was signed). */
  requests: string[];
  /** The transactions this wallet signed and sent. */
  sentTransactions: Hex[];
  chainId(): number;
}

const bindingName = "__twinledgerTestWallet";

const transactionRequest = (value: unknown) => {
  const fields = (Array.isArray(value) ? value[0] : undefined) as Record<string, string | undefined> | undefined;
  if (!fields || typeof fields.to !== "string") throw Object.assign(new Error("eth_sendTransaction needs a transaction with `to`"), { code: -32602 });
  return fields;
};

function asProviderError(error: unknown): ProviderError {
  const candidate = error as { code?: unknown; shortMessage?: unknown; message?: unknown; data?: unknown; cause?: { code?: unknown; data?: unknown } };
  const code = typeof candidate.code === "number" ? candidate.code : typeof candidate.cause?.code === "number" ? candidate.cause.code : -32603;
  const message = typeof candidate.shortMessage === "string" ? candidate.shortMessage : typeof candidate.message === "string" ? candidate.message : String(error);
  const data = candidate.data ?? candidate.cause?.data;
  return data === undefined ? { code, message } : { code, message, data };
}

export async function installWallet(page: Page, options: WalletOptions): Promise<TestWallet> {
  const account = privateKeyToAccount(options.privateKey);
  const chain = defineChain({
    id: options.chainId,
    name: "twinledger e2e chain",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(options.rpcUrl) });
  const walletClient = createWalletClient({ account, chain, transport: http(options.rpcUrl) });
  let walletChainId = options.initialChainId ?? options.chainId;
  const wallet: TestWallet = { address: account.address, requests: [], sentTransactions: [], chainId: () => walletChainId };

  const answer = async ({ method, params }: WalletRequest): Promise<unknown> => {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [account.address];
      case "eth_chainId":
        return numberToHex(walletChainId);
      case "net_version":
        return String(walletChainId);
      case "wallet_switchEthereumChain": {
        const target = Number((Array.isArray(params) ? (params[0] as { chainId?: string } | undefined) : undefined)?.chainId);
        // 4902: the wallet does not know the chain (the dApp may then offer wallet_addEthereumChain).
        if (target !== options.chainId) throw Object.assign(new Error(`Unrecognized chain ID ${target}`), { code: 4902 });
        walletChainId = target;
        return null;
      }
      case "wallet_addEthereumChain":
        return null;
      case "wallet_requestPermissions":
      case "wallet_getPermissions":
        return [{ parentCapability: "eth_accounts" }];
      case "eth_sendTransaction": {
        if (walletChainId !== options.chainId) throw Object.assign(new Error(`the wallet is on chain ${walletChainId}, not ${options.chainId}`), { code: 4901 });
        const fields = transactionRequest(params);
        if (fields.from && fields.from.toLowerCase() !== account.address.toLowerCase()) throw Object.assign(new Error(`unknown account ${fields.from}`), { code: 4100 });
        const hash = await walletClient.sendTransaction({
          to: fields.to as Hex,
          ...(fields.data ? { data: fields.data as Hex } : {}),
          ...(fields.value ? { value: hexToBigInt(fields.value as Hex) } : {}),
          ...(fields.gas ? { gas: hexToBigInt(fields.gas as Hex) } : {}),
        });
        wallet.sentTransactions.push(hash);
        return hash;
      }
      case "personal_sign": {
        const [message] = params as [Hex, Hex];
        return account.signMessage({ message: { raw: message } });
      }
      case "eth_signTypedData_v4": {
        const [, typedData] = params as [Hex, string];
        return account.signTypedData(JSON.parse(typedData) as Parameters<typeof account.signTypedData>[0]);
      }
      default:
        return publicClient.request({ method, params } as never);
    }
  };

  await page.exposeFunction(bindingName, async (request: WalletRequest): Promise<WalletResponse> => {
    wallet.requests.push(request.method);
    try {
      return { result: await answer(request) };
    } catch (error) {
      return { error: asProviderError(error) };
    }
  });

  await page.addInitScript((binding: string) => {
    type Listener = (...args: unknown[]) => void;
    const listeners = new Map<string, Set<Listener>>();
    const emit = (event: string, ...args: unknown[]) => {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          listener(...args);
        } catch (error) {
          console.warn("test wallet listener failed", error);
        }
      }
    };
    // globalThis is the page's window here (this function runs in the browser); typed without the DOM library.
    const page = globalThis as unknown as Record<string, (request: { method: string; params?: unknown }) => Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>>;
    const call = page[binding]!;
    const provider = {
      isTwinledgerTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown }): Promise<unknown> {
        const response = await call({ method, params: params ?? [] });
        if (response.error) throw Object.assign(new Error(response.error.message), response.error);
        if (method === "wallet_switchEthereumChain" && Array.isArray(params)) emit("chainChanged", (params[0] as { chainId: string }).chainId);
        return response.result;
      },
      on(event: string, listener: Listener) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return provider;
      },
      removeListener(event: string, listener: Listener) {
        listeners.get(event)?.delete(listener);
        return provider;
      },
    };
    Object.defineProperty(globalThis, "ethereum", { value: provider, configurable: true });
  }, bindingName);

  return wallet;
}
