import type { Metadata } from "next";
import { Suspense } from "react";
import { Rounds } from "@/components/rounds/Rounds";

export const metadata: Metadata = { title: "Rounds" };

export default function Page() {
  // useSearchParams (the selected round) needs a Suspense boundary above it.
  return (
    <Suspense>
      <Rounds />
    </Suspense>
  );
}
