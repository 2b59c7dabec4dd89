import type { Metadata } from "next";
import { Reputation } from "@/components/reputation/Reputation";

export const metadata: Metadata = { title: "Reputation" };

export default function Page() {
  return <Reputation />;
}
